"""What checks find, as data: a :class:`Status`, one exercise's :class:`Result`, a notebook's :class:`ScoreSummary`.

A check's result and the score summary are shown as a notebook's output and carried in it as JSON too (their media
types below), so the runner, the vetting script and any other tool read them as data, never by parsing text; the
batch grader's gradebook writes the same statuses. Standard library only: the command-line tools import it without
numpy or pandas.
"""

from __future__ import annotations

import dataclasses
import enum
import html
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["RESULT_MEDIA_TYPE", "SUMMARY_MEDIA_TYPE", "Result", "ScoreSummary", "Status", "summary_in_outputs"]


class Status(enum.Enum):
    """Where an answer stands: the one vocabulary of a check in the notebook, the progress file, the runner and the
    instructor's gradebook."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not attempted"
    WRITTEN = "written"  # a written answer, self-assessed against the rubric: done, never marked
    NOT_GRADED = "not graded"  # the batch grader could not judge it (the submission stopped before it, a time limit)
    CHECK_FAILED = "check failed"  # the check itself broke: a fault in the workbook, no verdict on the answer


_SYMBOL = {
    Status.CORRECT: "✔",
    Status.INCORRECT: "✘",
    Status.NOT_ATTEMPTED: "…",
    Status.WRITTEN: "✎",
    Status.NOT_GRADED: "–",
    Status.CHECK_FAILED: "⚠",
}
_COLOUR = {
    Status.CORRECT: "#1a7f37",
    Status.INCORRECT: "#cf222e",
    Status.NOT_ATTEMPTED: "#6e7781",
    Status.WRITTEN: "#0969da",
    Status.NOT_GRADED: "#6e7781",
    Status.CHECK_FAILED: "#9a6700",
}
# The media types a notebook's outputs carry a result and a score summary in, for the runner and other tools to read
# as data (Jupyter keeps every type an object's display returns; a front end shows the richest it knows).
RESULT_MEDIA_TYPE = "application/vnd.model-health.result+json"
SUMMARY_MEDIA_TYPE = "application/vnd.model-health.summary+json"


@dataclasses.dataclass(frozen=True)
class Result:
    """What one check found; ``check()`` returns it, and a notebook shows it as the check's feedback.

    ``advice`` follows the message on its line (a pointer to the hints); a written answer's result also carries
    ``rubric``, the rubric's lines as the answer matched them, and ``note``, what those marks mean."""

    exercise: str
    title: str
    status: Status
    message: str
    advice: str = ""
    note: str = ""
    rubric: tuple[str, ...] = ()

    def __str__(self) -> str:
        first = f"{_SYMBOL[self.status]} {self.exercise} {self.status.value.capitalize()}: {self.message}"
        lines = [f"{first} {self.advice}".rstrip(), *([self.note] if self.note else [])]
        return "\n".join(lines + (["Rubric:", *(f"  {line}" for line in self.rubric)] if self.rubric else []))

    def to_dict(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "title": self.title, "status": self.status.value, "message": self.message}

    def _repr_html_(self) -> str:
        colour = _COLOUR[self.status]
        note = f"<p><i>{html.escape(self.note)}</i></p>" if self.note else ""
        items = "".join(f"<li>{html.escape(_rubric_item_html(line))}</li>" for line in self.rubric)
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px">'
                f'<b style="color:{colour}">{_SYMBOL[self.status]} {html.escape(self.exercise)} '
                f"{self.status.value.capitalize()}</b>: {html.escape(self.message)}"
                f"{' ' + html.escape(self.advice) if self.advice else ''}{note}{f'<ul>{items}</ul>' if items else ''}"
                "</div>")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": str(self), "text/html": self._repr_html_(), RESULT_MEDIA_TYPE: self.to_dict()}

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def _rubric_item_html(line: str) -> str:
    """A rubric line as a list item: an unmarked point's box drawn, a plain point's dash left to the bullet."""
    if line.startswith("[ ] "):
        return "☐ " + line[4:]
    return line[2:] if line.startswith("- ") else line


@dataclasses.dataclass(frozen=True)
class ScoreSummary:
    """A notebook's score: each exercise's result, and which of them count toward the score (written answers are
    self-assessed and do not). A check that failed is no verdict: it counts neither for nor against the score."""

    notebook: str
    results: tuple[Result, ...]
    scored: frozenset[str]  # the exercises auto-graded, by name

    @property
    def correct(self) -> int:
        return sum(result.status is Status.CORRECT for result in self._counted())

    @property
    def out_of(self) -> int:
        return len(self._counted())

    @property
    def open(self) -> tuple[str, ...]:
        """The exercises still to do: incorrect or not attempted."""
        return tuple(r.exercise for r in self.results if r.status in (Status.INCORRECT, Status.NOT_ATTEMPTED))

    @property
    def check_failed(self) -> tuple[str, ...]:
        return tuple(r.exercise for r in self.results if r.status is Status.CHECK_FAILED)

    @property
    def finished(self) -> bool:
        """Every auto-graded exercise correct, every written one written, and no check failed."""
        return not self.open and not self.check_failed

    def _counted(self) -> list[Result]:
        return [r for r in self.results if r.exercise in self.scored and r.status is not Status.CHECK_FAILED]

    def to_dict(self) -> dict[str, Any]:
        return {"notebook": self.notebook, "correct": self.correct, "out_of": self.out_of, "open": list(self.open),
                "check_failed": list(self.check_failed), "results": [result.to_dict() for result in self.results],
                "scored": [result.exercise for result in self.results if result.exercise in self.scored]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreSummary:
        """The summary :meth:`to_dict` gave (read back from a notebook's output, for instance)."""
        results = tuple(Result(entry["exercise"], entry["title"], Status(entry["status"]), entry["message"])
                        for entry in data["results"])
        return cls(data["notebook"], results, frozenset(data["scored"]))

    @property
    def headline(self) -> str:
        """The score in one line: "Score: 9/12 auto-graded exercises correct."."""
        return f"Score: {self.correct}/{self.out_of} auto-graded exercises correct."

    def _closing(self) -> list[str]:
        closing = ["Open: " + (", ".join(self.open) if self.open else "none. Well done.")]
        if self.check_failed:
            closing.append(f"Check failed, a fault in the workbook and not your answer (please report it): "
                           f"{', '.join(self.check_failed)}.")
        return closing

    def __str__(self) -> str:
        headline, closing = self.headline, self._closing()
        rows = [f"  {_SYMBOL[r.status]} {r.exercise} {r.title}: {r.status.value}" for r in self.results]
        return "\n".join([headline, *rows, *closing])

    def _repr_html_(self) -> str:
        headline, closing = self.headline, self._closing()
        rows = "".join(f'<tr><td style="color:{_COLOUR[r.status]}">{_SYMBOL[r.status]}</td><td>{r.exercise}</td>'
                       f"<td>{html.escape(r.title)}</td><td>{r.status.value}</td></tr>" for r in self.results)
        return (f"<b>{html.escape(headline)}</b><table>{rows}</table>"
                + "".join(f"<p>{html.escape(line)}</p>" for line in closing))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": str(self), "text/html": self._repr_html_(), SUMMARY_MEDIA_TYPE: self.to_dict()}

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def summary_in_outputs(cells: Sequence[Mapping[str, Any]]) -> ScoreSummary | None:
    """The last score summary among the outputs of a notebook's ``cells`` (as nbformat or JSON gives them), or None."""
    found = None
    for cell in cells:
        for output in cell.get("outputs", ()):
            if SUMMARY_MEDIA_TYPE in output.get("data", {}):
                found = output["data"][SUMMARY_MEDIA_TYPE]
    return None if found is None else ScoreSummary.from_dict(found)
