"""A notebook's seed: the one it is published with, the one its set-up cell calls, and a copy with another.

Every notebook seeds everything random through one call in its set-up cell, ``setup(seed=…)``: per-learner
variants, the grader and the seed vetting all re-seed a notebook by rewriting that call.
"""

from __future__ import annotations

import copy
import re

import nbformat

__all__ = ["PUBLISHED_SEED", "with_seed", "written_seed"]

PUBLISHED_SEED = 2026  # the seed of the notebooks and solutions as shipped
SETUP_CALL = re.compile(r"\bsetup\(seed=(?P<seed>\d+)\)")


def _setup_cells(notebook: nbformat.NotebookNode) -> list:
    """The code cells that call ``setup(seed=…)`` (a submitted notebook's cells may lack any field)."""
    return [cell for cell in notebook.cells
            if cell.get("cell_type") == "code" and SETUP_CALL.search(str(cell.get("source", "")))]


def written_seed(notebook: nbformat.NotebookNode) -> int | None:
    """The seed the notebook's set-up cell calls ``setup`` with, if it makes exactly one such call."""
    found = [match for cell in _setup_cells(notebook) for match in SETUP_CALL.finditer(str(cell["source"]))]
    return int(found[0]["seed"]) if len(found) == 1 else None


def with_seed(notebook: nbformat.NotebookNode, seed: int) -> nbformat.NotebookNode:
    """A copy of ``notebook`` whose set-up cell seeds with ``seed``; nothing else changes."""
    found = len(_setup_cells(notebook))
    if found != 1:
        raise ValueError(f"Expected one set-up cell calling setup(seed=…), found {found}.")
    variant = copy.deepcopy(notebook)
    for cell in _setup_cells(variant):
        cell.source = SETUP_CALL.sub(f"setup(seed={int(seed)})", cell.source)
    return variant
