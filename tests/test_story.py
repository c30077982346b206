"""The story holds (issue 22 §6): each claim a notebook's prose makes about its data (``EXERCISES.claims``, a
:class:`model_health.teaching.grading.Claim`) quotes that prose and holds on the solved notebook. Here on the
published seed; workbook.py vet checks every vetted seed, and a seed where a claim fails is not vetted."""

from __future__ import annotations

import importlib
import re

import nbformat
import pytest

from model_health.paths import notebook_names

from conftest import REPO, solved_namespace

NOTEBOOKS = notebook_names()


def claims_of(notebook: str):
    return importlib.import_module(f"model_health.teaching.exercises.nb{notebook}").EXERCISES.claims


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


CASES = [(notebook, index) for notebook in NOTEBOOKS for index in range(len(claims_of(notebook)))]
# A notebook whose prose makes no claim about its data says why here; any other must list its claims.
WITHOUT_CLAIMS = {
    "09_model_risk_review": "its prose describes the review's procedure (tests, thresholds, the model card); the "
                            "findings are printed by code and judged by the exercises",
    "10_responsible_ai_governance": "its prose states the policy and how the gate reads it, which the exercises "
                                    "check; it makes no claim about what the data shows",
}


def test_every_notebook_lists_the_claims_of_its_prose_or_says_why_it_has_none():
    undeclared = [notebook for notebook in NOTEBOOKS if not claims_of(notebook) and notebook not in WITHOUT_CLAIMS]
    assert undeclared == []
    assert all(not claims_of(notebook) for notebook in WITHOUT_CLAIMS), "a notebook listed without claims has some"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_each_claim_quotes_its_notebook_s_prose(notebook):
    """A claim is tied to the sentence that makes it: reword the sentence and its claim must be looked at again."""
    cells = nbformat.read(REPO / "solutions" / f"{notebook}.ipynb", as_version=4).cells
    prose = words(" ".join(cell.source for cell in cells if cell.cell_type == "markdown"))
    missing = [claim.quote for claim in claims_of(notebook) if words(claim.quote) not in prose]
    assert missing == [], "claims whose words are not in the notebook's Markdown"


@pytest.mark.parametrize(("notebook", "index"), CASES,
                         ids=[f"{notebook[:2]}-{claims_of(notebook)[index].quote[:48]}" for notebook, index in CASES])
def test_the_claim_holds_on_the_published_seed(notebook, index):
    claim = claims_of(notebook)[index]
    assert claim.holds(solved_namespace(notebook)), f"the prose says {claim.quote!r}, which this data contradicts"
