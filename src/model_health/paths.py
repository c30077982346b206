"""Where the workbook's files are, and which notebooks it has: the one module that knows the checkout's layout.

Examples
--------
>>> notebook_names(["1", "13"])
['01_model_health_dashboard', '13_interview_practice']
>>> (NOTEBOOKS / f"{notebook_names()[0]}.ipynb").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA", "NOTEBOOKS", "REPO", "SOLUTIONS", "notebook_names"]

REPO = Path(__file__).resolve().parents[2]  # the checkout (the package is installed editable from it)
NOTEBOOKS, SOLUTIONS, DATA = REPO / "notebooks", REPO / "solutions", REPO / "data"


def notebook_names(wanted: list[str] | None = None) -> list[str]:
    """The workbook's notebooks ("01_model_health_dashboard", …), or those ``wanted`` names or numbers ("01", "1",
    "13_interview_practice") pick, in the order asked."""
    known = sorted(path.stem for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not wanted:
        return known
    picked = []
    for entry in wanted:
        matches = [name for name in known if name == entry or name.startswith(f"{entry.zfill(2)}_")]
        if not matches:
            raise ValueError(f"No notebook {entry!r}; the workbook has {', '.join(name[:2] for name in known)}.")
        picked.extend(matches)
    return list(dict.fromkeys(picked))
