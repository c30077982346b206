"""Shared fixtures: the namespace of a fully solved notebook 01, built by running its code."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: tests draw, never show

from pathlib import Path  # noqa: E402

import nbformat  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def run_code_cells(notebook_path: Path) -> dict:
    """Execute a notebook's code cells in one namespace, as a kernel would, and return it."""
    import matplotlib.pyplot as plt

    namespace: dict = {"__name__": "__notebook__"}
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, str(notebook_path), "exec"), namespace)
    plt.close("all")
    return namespace


@pytest.fixture(scope="session")
def solved_nb01() -> dict:
    """Variables of solutions/01 after running it top to bottom."""
    return run_code_cells(REPO / "solutions" / "01_model_health_dashboard.ipynb")
