"""The concept quiz: the bank is valid and covers the curriculum; the terminal command is driven
end to end through a pseudo-terminal (answers, bad input re-asked, Ctrl-C saves progress, the
timer); spaced repetition brings wrong answers back sooner."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from model_health.teaching import quiz
from model_health.teaching.quiz import Progress, ask, load_bank, main, pick

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


def test_a_bank_is_read_as_strictly_as_a_policy(tmp_path):
    """YAML keeps the last of a key given twice, silently: a bank author would lose an answer without knowing."""
    path = tmp_path / "bank.yml"
    path.write_text("- id: q1\n  answer: 1\n  answer: 2\n")
    with pytest.raises(ValueError, match=re.escape("line 3: the key 'answer' is given again (first on line 2)")):
        load_bank(path)
    path.write_text("- " * 40 + "x\n")
    with pytest.raises(ValueError, match="nested more than 32 levels deep; a question bank needs a handful"):
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
    # A suite started in the background (`workbook.py test &`) inherits SIGINT ignored, and a Python started so
    # never turns Ctrl-C into KeyboardInterrupt: the quiz gets the default a terminal gives it.
    return pexpect.spawn(sys.executable, ["-m", "model_health.teaching.quiz", "--progress", str(tmp_path / "p.json"),
                                          "--seed", "3", *args], encoding="utf-8", timeout=60, cwd=str(REPO),
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


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
    from model_health.teaching import quiz

    first, again = quiz.draw(6, seed=13), quiz.draw(6, seed=13)
    assert [q["id"] for q in first] == [q["id"] for q in again]
    assert len({q["concept"] for q in first}) == 6
    assert {q["level"] for q in quiz.draw(5, seed=1, level="advanced")} == {"advanced"}


@pytest.mark.parametrize(("kind", "typed", "right"), [("choice", "2", True), ("choice", "1", False),
                                                       ("truefalse", "f", False), ("numeric", "0,67", True)])
def test_is_right_judges_a_parsed_answer(kind, typed, right):
    from model_health.teaching import quiz

    question = {"choice": {"kind": "choice", "options": ["a", "b"], "answer": 1},
                "truefalse": {"kind": "truefalse", "answer": True},
                "numeric": {"kind": "numeric", "answer": 0.67, "tolerance": 0.01}}[kind]
    answer, problem = quiz.parse(question, typed)
    assert problem is None and quiz.is_right(question, answer) is right


def replies(*texts):
    """A reader that types ``texts`` in turn, then ends the input as Ctrl-D does."""
    pending = iter(texts)

    def read(prompt):
        try:
            return next(pending)
        except StopIteration:
            raise EOFError from None

    return read


ANY_KIND = ("1", "t")  # "1" answers a choice or a number, "t" a true/false question


def test_sessions_in_several_processes_keep_every_answer(tmp_path):
    """Answers recorded by processes holding stale copies of one session all survive (issue 24: 30 of 46 were kept)."""
    ids = [question["id"] for question in load_bank()]
    session = Progress(tmp_path / "p.json")
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.starmap(session.record, [(question_id, True) for question_id in ids], chunksize=1)
    saved = json.loads((tmp_path / "p.json").read_text())
    assert sorted(saved["questions"]) == sorted(ids)
    assert all(entry == {"box": 1, "due": 3, "seen": 1, "right": 1} for entry in saved["questions"].values())


@pytest.mark.parametrize("damaged", ['{"session": 4, "questions": {"drift-1": {"box"', "", "[]",
                                     '{"session": "four"}', '{"questions": {"drift-1": {"box": 1}}}',
                                     '{"questions": {"drift-1": {"box": 9, "due": 0, "seen": 1, "right": 1}}}'],
                         ids=["truncated", "empty", "a list", "a session not a number", "an entry missing fields",
                              "a box past the top"])
def test_a_damaged_empty_or_wrong_schema_file_is_kept_aside(tmp_path, damaged):
    """The quiz sets a file it cannot use aside, says where, and runs the session on a fresh record."""
    path = tmp_path / "p.json"
    path.write_text(damaged)
    said = []
    assert main(["--progress", str(path), "--count", "1", "--seed", "3"], replies(*ANY_KIND), said.append) == 0
    aside = tmp_path / "p.json.damaged-1"
    assert aside.read_text() == damaged
    assert any(f"it is kept as {aside} and a fresh record is started" in line for line in said)
    assert len(json.loads(path.read_text())["questions"]) == 1


@pytest.mark.parametrize("unwritable", ["under a file", "read-only"])
def test_a_folder_that_cannot_be_written_costs_the_record_not_the_session(tmp_path, unwritable):
    """Every question is still asked and scored; the learner is told once that progress is not saved."""
    if unwritable == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only folder")
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
    else:
        (tmp_path / "a-file").write_text("not a folder")
        folder = tmp_path / "a-file"
    said = []
    status = main(["--progress", str(folder / "p.json"), "--count", "2", "--seed", "3"], replies(*ANY_KIND * 2),
                  said.append)
    assert status == 0
    assert sum("can't be saved" in line for line in said) == 1, said
    assert sum(line.startswith("\nQuestion ") for line in said) == 2
    assert any(line.startswith("\nScore: ") and "not saved" in line for line in said), said


@pytest.mark.parametrize("typed", ["²", "①", "١", "+1", "1.0", "0", "5", "one"])
def test_a_choice_is_typed_in_ascii_digits_and_within_the_options(typed):
    """Digits other than 0-9 (which str.isdigit accepts and int() may not) are asked again, never a crash."""
    question = {"kind": "choice", "options": ["a", "b", "c", "d"], "answer": 1}
    message = f"Answer with a number from 1 to 4, in the digits 0-9 (got {typed!r})."
    assert quiz.parse(question, typed) == (None, message)


def test_ask_re_asks_after_a_superscript_digit():
    """Typing "²" for option 2 gets the message, then "2" is accepted."""
    question = next(q for q in load_bank() if q["kind"] == "choice")
    said = []
    assert ask(question, replies("²", str(question["answer"] + 1)), said.append) is True
    assert said.count(f"Answer with a number from 1 to {len(question['options'])}, in the digits 0-9 (got '²').") == 1


@pytest.mark.parametrize("typed", ["nan", "inf", "1_0", "²", "0.5.1", "."])
def test_a_number_is_typed_in_ascii_digits(typed):
    """Python's float() also reads "nan", "inf" and "1_0"; none of them answers a question."""
    question = {"kind": "numeric", "answer": 0.67, "tolerance": 0.01}
    assert quiz.parse(question, typed) == (None, "Answer with a number, e.g. 0.67.")


@pytest.mark.parametrize(("typed", "number"), [("0.67", 0.67), ("0,67", 0.67), (".5", 0.5), ("-1", -1.0),
                                               ("+2.", 2.0), ("6.7e-01", 0.67), (str(0.00001), 0.00001)])
def test_every_written_form_of_a_number_is_read(typed, number):
    """Comma or point, a sign, an exponent (str() of a small float, as notebook 13 passes its answers)."""
    assert quiz.parse({"kind": "numeric", "answer": 0.67, "tolerance": 0.01}, typed) == (number, None)
