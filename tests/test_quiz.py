"""The concept quiz: the bank is valid and covers the curriculum; the terminal command is driven
end to end through a pseudo-terminal (answers, bad input re-asked, Ctrl-C saves progress, the
timer); spaced repetition brings wrong answers back sooner."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from model_health.quiz import Progress, ask, load_bank, pick

REPO = Path(__file__).resolve().parents[1]
CURRICULUM_CONCEPTS = {"metrics", "bias-types", "fairness-definitions", "unawareness-proxies", "correlation-causation",
                       "mitigation", "explainability", "drift", "monitoring-architecture", "governance",
                       "communication"}  # the bullets of CURRICULUM.md's "What each seed asks the learner to do"


def test_the_bank_is_valid_and_covers_every_concept_twice():
    bank = load_bank()
    assert len(bank) >= 60
    counts = Counter(question["concept"] for question in bank)
    assert set(counts) == CURRICULUM_CONCEPTS and min(counts.values()) >= 2, counts
    notebooks = {path.name[:2] for path in (REPO / "solutions").glob("*.ipynb")}
    for question in bank:
        assert question["notebook"] in notebooks, question["id"]
        if question["kind"] == "choice":
            assert len(set(question["options"])) == len(question["options"]), question["id"]


@pytest.mark.parametrize("change, message", [
    (lambda bank: bank[0].update(answer=9), "is not the index of an option"),
    (lambda bank: bank[1].update(id=bank[0]["id"]), "is used twice"),
    (lambda bank: bank[2].pop("explanation"), "'explanation' is a required property"),
    (lambda bank: bank[3].update(level="expert"), "'expert' is not one of"),
])
def test_a_broken_bank_is_an_error_naming_the_question(tmp_path, change, message):
    import yaml

    bank = load_bank()
    change(bank)
    path = tmp_path / "bank.yml"
    path.write_text(yaml.safe_dump(bank))
    with pytest.raises(ValueError, match=re.escape(message)):
        load_bank(path)


def test_spaced_repetition_brings_wrong_answers_back_first(tmp_path):
    bank = load_bank()
    progress = Progress(tmp_path / "progress.json")
    first = pick(bank, progress, count=4, rng=__import__("random").Random(0))
    progress.record(first[0]["id"], correct=False)
    for question in first[1:]:
        progress.record(question["id"], correct=True)
    later = Progress(tmp_path / "progress.json")
    assert later.session == 2
    again = pick(bank, later, count=4, rng=__import__("random").Random(1))
    assert again[0]["id"] == first[0]["id"]  # due next session, lowest box
    assert not {question["id"] for question in first[1:]} & {question["id"] for question in again}


def test_ask_re_asks_on_bad_input_and_accepts_every_valid_form():
    question = next(q for q in load_bank() if q["kind"] == "numeric")
    replies, said = iter(["abc", "", str(question["answer"]).replace(".", ",")]), []
    assert ask(question, lambda prompt: next(replies), said.append) is True
    assert said.count("Answer with a number, e.g. 0.67.") == 2
    truefalse = next(q for q in load_bank() if q["kind"] == "truefalse")
    assert ask(truefalse, lambda prompt: "YES" if truefalse["answer"] else "no", lambda text: None) is True


def spawn(tmp_path, *args):
    pexpect = pytest.importorskip("pexpect")
    return pexpect.spawn(sys.executable, ["-m", "model_health.quiz", "--progress", str(tmp_path / "p.json"),
                                          "--seed", "3", *args], encoding="utf-8", timeout=60, cwd=str(REPO))


def right_reply(child, bank) -> str:
    child.expect(r"\] ([^\r\n]+)\r\n")
    question = next(q for q in bank if q["question"] == child.match.group(1).strip())
    child.expect("> ")
    if question["kind"] == "choice":
        return str(question["answer"] + 1)
    return ("t" if question["answer"] else "f") if question["kind"] == "truefalse" else str(question["answer"])


def test_the_command_end_to_end_with_bad_input(tmp_path):
    bank = load_bank()
    child = spawn(tmp_path, "--count", "3", "--topic", "drift")
    for _ in range(3):
        reply = right_reply(child, bank)
        child.sendline("seven")  # not an answer: asked again
        child.expect(r"Answer (with a number|t \(true\))")
        child.sendline(reply)
        child.expect("Right")
    child.expect(r"Score: 3/3")
    child.expect(pexpect_eof())
    child.close()
    assert child.exitstatus == 0
    saved = json.loads((tmp_path / "p.json").read_text())
    assert len(saved["questions"]) == 3 and all(entry["box"] == 1 for entry in saved["questions"].values())


def pexpect_eof():
    import pexpect

    return pexpect.EOF


def test_ctrl_c_saves_progress(tmp_path):
    bank = load_bank()
    child = spawn(tmp_path, "--count", "5")
    reply = right_reply(child, bank)
    child.sendline(reply)
    child.expect("Right")
    child.expect("> ")
    child.sendintr()  # Ctrl-C in the middle of the second question
    child.expect(r"Stopped\. Score so far: 1/1\. Progress saved")
    child.expect(pexpect_eof())
    child.close()
    assert child.exitstatus == 130
    assert len(json.loads((tmp_path / "p.json").read_text())["questions"]) == 1


def test_the_timer_counts_a_late_right_answer_as_wrong(tmp_path):
    import time

    bank = load_bank()
    child = spawn(tmp_path, "--count", "1", "--seconds", "0.5")
    reply = right_reply(child, bank)
    time.sleep(1.0)
    child.sendline(reply)
    child.expect(r"over the time limit: counted wrong")
    child.expect(r"Score: 0/1")
    child.expect(pexpect_eof())
    child.close()


def test_a_topic_and_level_filter_and_an_empty_selection(tmp_path):
    child = spawn(tmp_path, "--topic", "drift", "--level", "advanced", "--count", "1")
    child.expect(r"\[drift, advanced")
    child.sendintr()
    child.expect(pexpect_eof())
    empty = spawn(tmp_path, "--topic", "metrics", "--level", "advanced")
    empty.expect("No question matches that topic and level.")
    empty.expect(pexpect_eof())
    empty.close()
    assert empty.exitstatus == 2


def test_a_notebook_round_is_fixed_by_its_seed_and_spans_concepts():
    from model_health import quiz

    first, again = quiz.draw(6, seed=13), quiz.draw(6, seed=13)
    assert [q["id"] for q in first] == [q["id"] for q in again]
    assert len({q["concept"] for q in first}) == 6
    assert {q["level"] for q in quiz.draw(5, seed=1, level="advanced")} == {"advanced"}


@pytest.mark.parametrize(("kind", "typed", "right"), [("choice", "2", True), ("choice", "1", False),
                                                       ("truefalse", "f", False), ("numeric", "0,67", True)])
def test_is_right_judges_a_parsed_answer(kind, typed, right):
    from model_health import quiz

    question = {"choice": {"kind": "choice", "options": ["a", "b"], "answer": 1},
                "truefalse": {"kind": "truefalse", "answer": True},
                "numeric": {"kind": "numeric", "answer": 0.67, "tolerance": 0.01}}[kind]
    answer, problem = quiz.parse(question, typed)
    assert problem is None and quiz.is_right(question, answer) is right
