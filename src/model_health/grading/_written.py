"""Aids for written answers: a rubric self-check by key terms, and the STAR split.

Both read text only. The rubric self-check is a heuristic (a term can be present in a wrong
sentence, and a point can be made in other words), so it is shown as an aid, never as a grade.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

STAR_PARTS = ("Situation", "Task", "Action", "Result")
# A label opens a part: "Situation:", "(Situation)", "**Situation**" or "Situation -" after a line start or a
# sentence's end; an initial ("S:", "S)") only at a line's start, where it cannot be a word of the answer.
_STAR_LABEL = re.compile(
    r"(?:^|(?<=[.;!?])\s+|(?<=\n))[ \t]*(?:"
    r"[(\[]\s*(?P<bracketed>situation|task|action|result)\s*[)\]]:?"
    r"|[*_]{1,2}(?P<bold>situation|task|action|result)[*_]{0,2}\s*[:\-–—]?[*_]{0,2}"
    r"|(?P<named>situation|task|action|result)\s*[:\-–—]"
    r"|(?<![^\n])(?P<initial>[star])\s*[:)])(?=\s|$)",
    re.IGNORECASE,
)
_FULL_NAME = {part[0].lower(): part for part in STAR_PARTS}


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

    def found_in(self, text: str) -> str | None:
        """The first term found in ``text`` (case-insensitive), or None."""
        for term in self.terms:
            pattern = r"\s+".join(map(re.escape, term.lower().split()))
            if re.search((r"\b" if term[:1].isalnum() else "") + pattern, text.lower()):
                return term
        return None


def rubric_coverage(text: str, points: Iterable[RubricPoint]) -> list[tuple[RubricPoint, str | None]]:
    """Each rubric point with the term that suggests ``text`` covers it (None: no term found)."""
    return [(point, point.found_in(text)) for point in points]


def split_star(answer) -> dict[str, str]:
    """An answer's Situation, Task, Action and Result parts (empty text where a part is missing).

    ``answer`` is a dict keyed by the parts (any case, or their initials) or text in which each
    part opens with its label: ``Situation: …``, ``(Task) …``, ``**Action** - …``, ``R: …``.

    Examples
    --------
    >>> split_star("(Situation) Drift. (Task) Explain it. (Action) A chart. (Result) Approved.")["Action"]
    'A chart.'
    >>> split_star({"s": "x", "TASK": "y"})["Result"]
    ''
    """
    parts = dict.fromkeys(STAR_PARTS, "")
    if isinstance(answer, Mapping):
        for key, value in answer.items():
            name = _FULL_NAME.get(str(key).strip().lower()[:1]) if str(key).strip() else None
            if name is None or str(key).strip().lower() not in (name.lower(), name[0].lower()):
                raise ValueError(f"Unknown STAR part {key!r}: use the keys Situation, Task, Action and Result.")
            parts[name] = str(value).strip()
        return parts
    labels = list(_STAR_LABEL.finditer(answer))
    for label, following in zip(labels, labels[1:] + [None]):
        word = label.group("bracketed") or label.group("bold") or label.group("named") or label.group("initial")
        name = _FULL_NAME[word.lower()[0]]
        end = following.start() if following is not None else len(answer)
        text = answer[label.end():end].strip()
        parts[name] = (parts[name] + " " + text).strip() if parts[name] else text
    return parts
