"""Every seed a learner can get is vetted, for every notebook, on the files as they are now (issue 22 §3 and §6).

A vetting run (``workbook.py vet --record``, :mod:`model_health.classroom.vetting`) executes a solution on a variant
seed and records whether it scored full marks, whether any mistake its checks name or its tests build comes within
the tolerance of the right value or is accepted, and whether any claim of its prose fails there. Running every
notebook on every seed costs about 30 minutes on 2 cores, too long for the test command; this test holds the record to the sources instead: each entry
carries a digest of the files its run depended on, so a change to a notebook, its checks, the package code they
import, its tests' mistakes, the data or the library lock makes its seeds unvetted until they are vetted again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model_health.classroom import vetting
from model_health.classroom.variants import VARIANT_SEED_LISTS
from model_health.paths import notebook_names

REPO = Path(__file__).resolve().parents[1]

# Every list a copy can have been made from: a copy is graded on its own list's seed.
SEEDS_IN_USE = sorted(set().union(*VARIANT_SEED_LISTS.values()))


@pytest.mark.parametrize("name", notebook_names())
def test_every_seed_a_learner_can_get_is_vetted_on_the_current_files(name):
    record = vetting.read_record().get(name, {})
    digest = vetting.sources_digest(name)
    unvetted = [seed for seed in SEEDS_IN_USE if record.get(str(seed), {}).get("sources") != digest]
    assert not unvetted, (
        f"{name} is not vetted on its current files for seeds {unvetted} (never, or before a change to one of "
        f"{len(vetting.vetted_files(name))} files it depends on). Run: python3 workbook.py vet "
        f"{' '.join(map(str, unvetted))} --notebook {name[:2]} --record")
    failing = {seed: record[str(seed)]["problems"] or ["not full marks"] for seed in SEEDS_IN_USE
               if record[str(seed)]["problems"] or not record[str(seed)]["full_marks"]}
    assert not failing, (f"{name} fails on seeds a learner can get: {failing}. Fix the notebook or its checks: a copy "
                         "is graded on its seed, so a seed on any list (variants.VARIANT_SEED_LISTS) stays in use.")


def test_a_change_to_a_file_a_notebook_depends_on_changes_its_digest(tmp_path, monkeypatch):
    name = notebook_names(["01"])[0]
    files = vetting.vetted_files(name)
    relative = {path.relative_to(REPO).as_posix() for path in files}
    # Its checks, the grading core and the simulators they import, its tests' mistakes, data and lock.
    assert {f"src/model_health/teaching/exercises/nb{name}.py", "src/model_health/teaching/grading/_core.py",
            "src/model_health/simulators.py", "tests/test_nb01_exercises.py", "requirements.lock"} <= relative
    assert any(path.startswith("data/") for path in relative)
    # Another notebook's solutions and the batch grader are not part of what a vetting run of 01 depends on.
    assert "src/model_health/classroom/batch_grading.py" not in relative
    assert not any(path.startswith("src/model_health/teaching/exercises/solutions/02_") for path in relative)
    before = vetting.sources_digest(name)
    copy = tmp_path / "simulators.py"
    copy.write_bytes((REPO / "src/model_health/simulators.py").read_bytes() + b"\n# changed\n")
    real_read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda path: real_read_bytes(
        copy if path == REPO / "src/model_health/simulators.py" else path))
    assert vetting.sources_digest(name) != before


def test_a_seed_with_a_problem_or_vetted_on_other_files_fails_the_record(monkeypatch):
    name = notebook_names(["01"])[0]
    record = json.loads(json.dumps(vetting.read_record()))
    record[name]["7"]["problems"] = ["q3 incorrect: Recall is not the value of `recall` on this data."]
    record[name]["11"]["sources"] = "0" * 64  # vetted before a change to one of its files
    monkeypatch.setattr(vetting, "read_record", lambda: record)
    with pytest.raises(AssertionError, match=r"for seeds \[11\].*--notebook 01 --record"):
        test_every_seed_a_learner_can_get_is_vetted_on_the_current_files(name)
    del record[name]["11"]  # never vetted
    with pytest.raises(AssertionError, match=r"for seeds \[11\]"):
        test_every_seed_a_learner_can_get_is_vetted_on_the_current_files(name)
    record[name]["11"] = dict(record[name]["19"])
    with pytest.raises(AssertionError, match=r"fails on seeds a learner can get: \{7: \['q3 incorrect"):
        test_every_seed_a_learner_can_get_is_vetted_on_the_current_files(name)
    record[name]["7"] = {**record[name]["19"], "full_marks": False}
    with pytest.raises(AssertionError, match=r"\{7: \['not full marks'\]\}"):
        test_every_seed_a_learner_can_get_is_vetted_on_the_current_files(name)


def test_the_seeds_vetted_for_a_notebook_are_those_recorded_on_its_current_files_with_full_marks():
    """The pool a class's own seeds come from (``variant --distinct``): an entry vetted on other files, one with a
    problem and one without full marks are not in it."""
    name = notebook_names(["08"])[0]
    good = {"sources": vetting.sources_digest(name), "full_marks": True, "problems": [], "least_separation": None}
    record = {name: {"3": good, "5": {**good, "sources": "0" * 64}, "9": {**good, "problems": ["claim fails: …"]},
                     "12": {**good, "full_marks": False}, "104": good},
              "01_model_health_dashboard": {"6": good}}
    assert vetting.vetted_seeds(name, record) == [3, 104]
    assert vetting.vetted_seeds(name, {}) == []


def _fake_score(name: str, seed: int) -> dict:
    """A vetting run that takes no time: seeds divisible by 3 have a problem."""
    return {"notebook": name, "seed": seed, "full_marks": True, "problems": ["claim fails"] if seed % 3 == 0 else [],
            "separations": {}, "score": "1/1", "seconds": 0.0, "sources": vetting.sources_digest(name)}


def test_vetting_until_a_count_tries_new_seeds_and_records_each(tmp_path, monkeypatch):
    """``workbook.py vet --until N``: seeds the record has a verdict for on the current files are not run again,
    every run is recorded as it ends, and it stops once N hold for each notebook."""
    name = notebook_names(["08"])[0]
    monkeypatch.setattr(vetting, "RECORD", tmp_path / "record.json")
    monkeypatch.setattr(vetting, "score", _fake_score)
    vetting.write_record([_fake_score(name, 1), {**_fake_score(name, 2), "sources": "0" * 64}])
    found = vetting.vet_until(5, [name], jobs=1)
    assert found == {name: [1, 2, 4, 5, 7]}  # 1 was vetted already; 2 again (its verdict was on other files)
    record = vetting.read_record()[name]
    assert all(str(seed) in record for seed in range(1, 8)) and vetting.vetted_seeds(name) == [1, 2, 4, 5, 7]
