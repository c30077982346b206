"""Aids for written answers: a rubric self-check by key terms, and the STAR split.

Both read text only. The rubric self-check is a heuristic (a term can be present in a wrong
sentence, and a point can be made in other words), so it is shown as an aid, never as a grade.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

STAR_PARTS = ("Situation", "Task", "Action", "Result")
# The words that name each part, as learners write them: the part's name, its plural, and common synonyms.
_PART_NAMED = {"situation": "Situation", "task": "Task", "my task": "Task", "action": "Action", "actions": "Action",
               "result": "Result", "results": "Result", "outcome": "Result", "outcomes": "Result"}
_PART_NAMED.update({part[0].lower(): part for part in STAR_PARTS})  # the initials: "S", "T", "A", "R"
_NAMES = "|".join(r"\s+".join(name.split()) for name in sorted(_PART_NAMED, key=len, reverse=True) if len(name) > 1)
# A label opens a part at a line's start or after a sentence's end, behind an optional Markdown bullet, number or
# heading mark: "Situation:", "(Situation)", "**Situation**", "Situation -", or the name alone at the end of its
# line. An initial ("S:", "S)") only at a line's start, where it cannot be a word of the answer.
_STAR_LABEL = re.compile(
    r"(?:^|(?<=\n)|(?<=[.;!?])(?P<after_sentence>[ \t]+))[ \t]*(?:[-*+•][ \t]+|\d{1,2}[.)][ \t]+|#{1,6}[ \t]+)?(?:"
    rf"[(\[]\s*(?P<bracketed>{_NAMES})\s*[)\]]:?"
    rf"|[*_]{{1,2}}(?P<bold>{_NAMES})[*_]{{0,2}}[ \t]*[:\-–—]?[*_]{{0,2}}"
    rf"|(?P<named>{_NAMES})[ \t]*(?:[:\-–—]|(?=\n|$))"
    r"|(?(after_sentence)(?!)|(?P<initial>[star]))[ \t]*[:)])(?=\s|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RubricPoint:
    """One point a strong answer makes, and words that suggest the answer makes it.

    A term matches at a word start and may continue (``"proxy"`` does not match "proxies", so
    list both; ``"retrain"`` matches "retraining").
    """

    point: str
    terms: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.terms:
            raise ValueError(f"Rubric point {self.point!r} needs at least one term to look for.")

    def terms_in(self, text: str) -> tuple[str, ...]:
        """The terms found in ``text`` (case-insensitive), in the order they are listed."""
        return tuple(term for term in self.terms
                     if re.search((r"\b" if term[:1].isalnum() else "")
                                  + r"\s+".join(map(re.escape, term.lower().split())), text.lower()))

    def found_in(self, text: str) -> str | None:
        """The first term found in ``text`` (case-insensitive), or None."""
        return next(iter(self.terms_in(text)), None)


def rubric_coverage(text: str, points: Iterable[RubricPoint]) -> list[tuple[RubricPoint, str | None]]:
    """Each rubric point with the term that suggests ``text`` covers it (None: no term found)."""
    return [(point, point.found_in(text)) for point in points]


def split_star(answer) -> dict[str, str]:
    """An answer's Situation, Task, Action and Result parts (empty text where a part is missing).

    ``answer`` is a dict keyed by the parts (any case, their initials, "Outcome" or "My task") or
    text in which each part opens with its label: ``Situation: …``, ``(Task) …``, ``**Action** - …``,
    ``R: …``, ``- Outcome: …`` (a Markdown bullet), or the label alone on its line.

    Examples
    --------
    >>> split_star("(Situation) Drift. (Task) Explain it. (Action) A chart. (Result) Approved.")["Action"]
    'A chart.'
    >>> split_star("- Situation: Drift.\\n- My task: Explain it.\\n- Action: A chart.\\n- Outcome: Approved.")["Result"]
    'Approved.'
    >>> split_star({"s": "x", "TASK": "y"})["Result"]
    ''
    """
    parts = dict.fromkeys(STAR_PARTS, "")
    if isinstance(answer, Mapping):
        for key, value in answer.items():
            name = _PART_NAMED.get(" ".join(str(key).lower().split()))
            if name is None:
                raise ValueError(f"Unknown STAR part {key!r}: use the keys Situation, Task, Action and Result.")
            parts[name] = " ".join(filter(None, (parts[name], str(value).strip())))
        return parts
    labels = list(_STAR_LABEL.finditer(answer))
    for label, following in zip(labels, labels[1:] + [None]):
        word = label.group("bracketed") or label.group("bold") or label.group("named") or label.group("initial")
        name = _PART_NAMED[" ".join(word.lower().split())]
        end = following.start() if following is not None else len(answer)
        parts[name] = " ".join(filter(None, (parts[name], answer[label.end():end].strip())))
    return parts
