"""The concept quiz: a bank of short questions across the workbook, practised in the terminal.

    python3 workbook.py quiz [--topic drift] [--level beginner] [--count 10] [--seconds 45]

Questions answered wrongly come back sooner (spaced repetition with Leitner boxes): a right
answer moves a question up a box and schedules it ``2 ** box`` sessions later; a wrong one
sends it back to box 0, due next session. Progress is kept in a JSON file the learner owns
(``--progress``, default ``~/.model-health-workbook/quiz-progress.json``) and saved after every
answer, so Ctrl-C loses nothing; each answer is merged into the file under a lock, so two sessions
at once both keep theirs. A file that is not a quiz record is kept aside as ``<name>.damaged-<n>``,
and a folder that cannot be written costs the record, never the session. Bad input is asked again,
never a crash.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from importlib import resources
from pathlib import Path

from model_health._documents import DocumentReader, schema_problems
from model_health.teaching.progress import read_record, update_record

__all__ = ["Progress", "ask", "draw", "is_right", "load_bank", "main", "parse", "pick", "right_answer", "show"]

BANK = "bank.yml"
LEVELS = ("beginner", "intermediate", "advanced")
TOP_BOX = 5
DEFAULT_PROGRESS = Path.home() / ".model-health-workbook" / "quiz-progress.json"
PROGRESS_SCHEMA = {
    "type": "object",
    "properties": {
        "session": {"type": "integer", "minimum": 0},
        "questions": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["box", "due", "seen", "right"],
            "properties": {"box": {"type": "integer", "minimum": 0, "maximum": TOP_BOX},
                           **{count: {"type": "integer", "minimum": 0} for count in ("due", "seen", "right")}}}},
    },
}
# ASCII digits, an optional exponent (str() of a small float gives "1e-05"); float() also takes "nan", "1_0", "²".
NUMBER = re.compile(r"[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?")


def load_bank(path=None) -> list[dict]:
    """The question bank (the workbook's, or ``path``), validated against ``bank.schema.json``."""
    folder = resources.files("model_health.teaching") / "quiz"
    bank = DocumentReader(ValueError, "a question bank").read(path or str(folder / BANK))
    schema = json.loads((folder / "bank.schema.json").read_text(encoding="utf-8"))
    problems = schema_problems(bank, schema)
    ids = [question.get("id") for question in bank] if isinstance(bank, list) else []
    problems += [f"id {question_id!r} is used twice" for question_id in sorted({i for i in ids if ids.count(i) > 1})]
    for question in bank if isinstance(bank, list) else []:
        if question.get("kind") == "choice" and not 0 <= question.get("answer", -1) < len(question.get("options", [])):
            problems.append(f"{question['id']}: answer {question['answer']} is not the index of an option")
    if problems:
        raise ValueError(f"{path or BANK}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
    return bank


def _progress_problem(data: object) -> str | None:
    """What makes ``data`` no quiz record (``PROGRESS_SCHEMA``), or None."""
    problems = schema_problems(data, PROGRESS_SCHEMA)
    return problems[0] if problems else None


class Progress:
    """Leitner boxes per question, and the session count, in a JSON file.

    Every save re-reads the file under a lock and merges into it, so sessions running at once keep
    each other's answers. A file that is not a quiz record is set aside and ``say`` told where.
    """

    def __init__(self, path, say=print):
        self.path = Path(path)
        self.say = say
        try:
            data = update_record(self.path, None, _progress_problem, say)
        except OSError:  # a folder that cannot be written: read what is there; saving will say it failed
            data, reason = read_record(self.path, _progress_problem)
            if reason:
                say(f"{self.path} could not be read ({reason}); this session starts a fresh record.")
        self.session = int(data.get("session", 0)) + 1
        self.questions: dict[str, dict] = data.get("questions", {})

    def due(self, question_id: str) -> int:
        return self.questions.get(question_id, {}).get("due", 0)

    def record(self, question_id: str, correct: bool) -> None:
        """Move the question up a box or back to box 0, and save. Raises OSError when the file cannot be
        written (the answer still counts in this session)."""
        def answer(questions: dict) -> None:
            entry = questions.setdefault(question_id, {"box": 0, "due": 0, "seen": 0, "right": 0})
            entry["seen"] += 1
            entry["right"] += int(correct)
            entry["box"] = min(entry["box"] + 1, TOP_BOX) if correct else 0
            entry["due"] = self.session + (2 ** entry["box"] if correct else 1)

        try:
            self.questions = self._merge(answer)["questions"]
        except OSError:
            answer(self.questions)
            raise

    def save(self) -> None:
        """Save the session count (answers are saved as they come). Raises OSError when it cannot be written."""
        self._merge()

    def _merge(self, change=None) -> dict:
        """The file as it is now, with this session's count and ``change`` applied to its questions."""
        def merged(data: dict) -> None:
            data["session"] = max(data.get("session", 0), self.session)
            if change is not None:
                change(data.setdefault("questions", {}))

        return update_record(self.path, merged, _progress_problem, self.say)


def pick(bank: list[dict], progress: Progress, *, topic=None, level=None, count: int = 10,
         rng: random.Random | None = None) -> list[dict]:
    """Up to ``count`` questions: reviews that are due (lowest box first), then new ones, then the rest."""
    rng = rng or random.Random()
    pool = [question for question in bank if (topic is None or question["concept"] == topic)
            and (level is None or question["level"] == level)]
    rng.shuffle(pool)
    def order(question: dict) -> tuple[int, int]:
        entry = progress.questions.get(question["id"])
        return (0, entry["box"]) if entry else (1, 0)  # a review that is due comes before a new question

    due = sorted((question for question in pool if progress.due(question["id"]) <= progress.session), key=order)
    later = [question for question in pool if question not in due]
    return (due + later)[:count]


def parse(question: dict, text: str):
    """The learner's answer, or a message saying what a valid answer looks like."""
    text = text.strip()
    if question["kind"] == "choice":
        # ASCII digits only: str.isdigit also takes "²" and "①", which int() refuses.
        if re.fullmatch(r"[0-9]+", text) and 1 <= int(text) <= len(question["options"]):
            return int(text) - 1, None
        return None, f"Answer with a number from 1 to {len(question['options'])}, in the digits 0-9 (got {text!r})."
    if question["kind"] == "truefalse":
        if text.lower() in ("t", "true", "y", "yes"):
            return True, None
        if text.lower() in ("f", "false", "n", "no"):
            return False, None
        return None, "Answer t (true) or f (false)."
    if NUMBER.fullmatch(text):
        return float(text.replace(",", ".")), None
    return None, "Answer with a number, e.g. 0.67."


def is_right(question: dict, answer) -> bool:
    """Whether a parsed answer (an option index, True/False or a number) is right."""
    if question["kind"] == "numeric":
        return abs(answer - question["answer"]) <= question["tolerance"]
    return answer == question["answer"]


def right_answer(question: dict) -> str:
    """The right answer as the learner would type it, with the option's text."""
    if question["kind"] == "choice":
        return f"{question['answer'] + 1}. {question['options'][question['answer']]}"
    return {True: "true", False: "false"}.get(question["answer"], str(question["answer"]))


def show(question: dict, write=print) -> None:
    """Print a question and its numbered options."""
    write(f"\n[{question['concept']}, {question['level']}, notebook {question['notebook']}] {question['question']}")
    for number, option in enumerate(question.get("options", []), 1):
        write(f"  {number}. {option}")


def ask(question: dict, read=input, write=print, *, seconds: float | None = None) -> bool:
    """Ask one question until a valid answer comes; say whether it was right, and why."""
    show(question, write)
    started = time.monotonic()
    while True:
        answer, problem = parse(question, read("> "))
        if problem is None:
            break
        write(problem)
    correct = is_right(question, answer)
    late = seconds is not None and time.monotonic() - started > seconds
    verdict = "Right" if correct else f"Not quite: the answer is {right_answer(question)}"
    write(f"{verdict}{' (but over the time limit: counted wrong)' if correct and late else ''}. "
          f"{question['explanation']}")
    return correct and not late


def draw(count: int, *, seed: int, level=None) -> list[dict]:
    """``count`` questions of the bank, one concept after another, the same for the same seed (for notebook 13)."""
    bank = [question for question in load_bank() if level is None or question["level"] == level]
    rng = random.Random(seed)
    by_concept: dict[str, list[dict]] = {}
    for question in bank:
        by_concept.setdefault(question["concept"], []).append(question)
    concepts = sorted(by_concept)
    rng.shuffle(concepts)
    return [rng.choice(by_concept[concept]) for concept in concepts[:count]]


def main(argv=None, read=input, write=print) -> int:
    bank = load_bank()
    topics = sorted({question["concept"] for question in bank})
    parser = argparse.ArgumentParser(prog="python3 workbook.py quiz", description="Practise the workbook's concepts.")
    parser.add_argument("--topic", choices=topics, help="only this concept")
    parser.add_argument("--level", choices=LEVELS, help="only this level")
    parser.add_argument("--count", type=int, default=10, help="questions in this session (default 10)")
    parser.add_argument("--seconds", type=float, help="time per question, at an interview's pace")
    parser.add_argument("--progress", type=Path, default=DEFAULT_PROGRESS, help="where your progress is kept")
    parser.add_argument("--seed", type=int, help="fix the order of questions")
    args = parser.parse_args(argv)
    progress = Progress(args.progress, say=write)
    questions = pick(bank, progress, topic=args.topic, level=args.level, count=args.count,
                     rng=random.Random(args.seed))
    if not questions:
        write("No question matches that topic and level.")
        return 2
    write(f"Session {progress.session}: {len(questions)} question(s). Ctrl-C stops; progress is saved as you go.")
    failures: list[OSError] = []

    def saving(action, *arguments) -> None:
        """Run one save; say the first failure, once, and go on with the session."""
        try:
            action(*arguments)
        except OSError as error:
            if not failures:
                write(f"Progress can't be saved to {args.progress} ({error}); the quiz goes on without saving.")
            failures.append(error)

    score = 0
    try:
        for number, question in enumerate(questions, 1):
            write(f"\nQuestion {number} of {len(questions)}")
            correct = ask(question, read, write, seconds=args.seconds)
            saving(progress.record, question["id"], correct)
            score += correct
    except (KeyboardInterrupt, EOFError):
        saving(progress.save)
        where = "not saved (see above)" if failures else f"saved to {args.progress}"
        write(f"\nStopped. Score so far: {score}/{number - 1}. Progress {where}.")
        return 130
    saving(progress.save)
    where = "not saved (see above)" if failures else args.progress
    write(f"\nScore: {score}/{len(questions)}. Wrong answers come back next session. Progress: {where}")
    return 0

