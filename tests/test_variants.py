"""Per-learner variants: the seed each learner gets, the notebooks written, and grading a class of variants.

The class test grades, through the batch grader, on a sample of notebooks (VARIANT_NOTEBOOKS): their published
solutions, two learners' variants solved with the solution code (full marks, each on its own seed; the solvers
take turns), one of them on the copier's seed, and a learner who pasted the other's answer values into their own
variant (graded wrong on most exercises whose answer depends on the data, and flagged as copied).
MODEL_HEALTH_VARIANT_NOTEBOOKS=all runs the variants of every notebook, MODEL_HEALTH_PUBLISHED_NOTEBOOKS=all the
published solutions of every notebook (CI's run under load does); test_exercises.py crosses every notebook's
answers through the same transfer in-process, and workbook.py vet runs every solution on every
vetted seed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from model_health.classroom import batch_grading, variants
from model_health.classroom.batch_grading import Options, collect, grade_all
from model_health.classroom.seeding import PUBLISHED_SEED, with_seed, written_seed
from model_health.classroom.variants import (CLASS_SEEDS, CURRENT_SEED_LIST, VARIANT_SEEDS, distinct_seeds, graded_seed,
                                             learner_key, learner_variant, read_class_seeds, read_roster,
                                             variant_seed, write_variants)
from model_health.paths import notebook_names
from model_health.teaching.authoring import solved_learner_notebook
from model_health.teaching.grading import WrittenAnswer
from model_health.teaching.results import Status

from conftest import needs_bubblewrap, run_command

REPO = Path(__file__).resolve().parents[1]
# The sample covers the kinds of answer that cross from the kernel: tables, models, figures and functions (01), a
# live DuckDB connection, routes and policies (11). CI's run under load adds 07 (week series, alert rules).
VARIANT_NOTEBOOKS = os.environ.get("MODEL_HEALTH_VARIANT_NOTEBOOKS", "01,11")
PUBLISHED_NOTEBOOKS = os.environ.get("MODEL_HEALTH_PUBLISHED_NOTEBOOKS", VARIANT_NOTEBOOKS)
SOLVERS = ("ada", "grace", "alan")
COPIER = "mallory"


def peer_of(learner: str, name: str) -> str:
    """Another learner ID on the same variant of ``name`` as ``learner``: their right answers are the copier's."""
    return next(f"peer{number}" for number in range(1000)
                if variant_seed(f"peer{number}", name) == variant_seed(learner, name))


def answer_slots(notebook) -> list[tuple[int, tuple[str, ...]]]:
    """(index of the last cell, exercises) of each answer slot."""
    slots = []
    for index, cell in enumerate(notebook.cells):
        slot = tuple(cell.metadata.get("model_health", {}).get("exercises", ()))
        if cell.metadata.get("model_health", {}).get("role") == "answer":
            slots = [entry for entry in slots if entry[1] != slot] + [(index, slot)]
    return sorted(slots)


def solved_variant(name: str, learner: str) -> nbformat.NotebookNode:
    solved = with_seed(solved_learner_notebook(name), variant_seed(learner, name))
    solved.metadata["model_health"].update(learner=learner, variant=variant_seed(learner, name),
                                           variant_list=CURRENT_SEED_LIST)
    return solved


def answer_values(notebook, name: str) -> dict[tuple[str, ...], dict[str, str]]:
    """Run ``notebook`` and keep, right after each answer slot, the values (not functions) its exercises read."""
    reads = {exercise.name: exercise.reads for exercise in batch_grading._exercise_set(name)}
    with tempfile.TemporaryDirectory(prefix="copy-source-") as folder:
        return _values_after_answers(notebook, reads, Path(folder))


def _values_after_answers(notebook, reads, scratch: Path) -> dict[tuple[str, ...], dict[str, str]]:
    from nbclient import NotebookClient

    (scratch / "notebooks").mkdir()
    (scratch / "examples").symlink_to(REPO / "examples")
    dump = scratch / "values.json"
    running = nbformat.v4.new_notebook(metadata=notebook.metadata)
    running.cells.append(nbformat.v4.new_code_cell("import base64 as _b64, pickle as _pickle\n_copied = {}"))
    slots = dict(answer_slots(notebook))
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        running.cells.append(nbformat.v4.new_code_cell(cell.source))
        if index in slots:
            names = sorted({read for q in slots[index] for read in reads.get(q, ())})
            running.cells.append(nbformat.v4.new_code_cell(
                f"for _name in {names!r}:\n"
                "    _value = globals().get(_name)\n"
                "    if _value is not None and not callable(_value):\n"
                "        try:\n"
                "            _copied.setdefault(" + repr(",".join(slots[index])) + ", {})[_name] = "
                "_b64.b64encode(_pickle.dumps(_value)).decode()\n"
                "        except Exception:\n"
                "            pass  # a live object: the copier keeps the code"))
    running.cells.append(nbformat.v4.new_code_cell(f"import json\nopen({str(dump)!r}, 'w').write(json.dumps(_copied))"))
    environment = {**os.environ, "MODEL_HEALTH_PROGRESS": str(scratch / "progress")}
    NotebookClient(running, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(scratch / "notebooks")}}).execute(env=environment)
    return {tuple(key.split(",")): values for key, values in json.loads(dump.read_text()).items()}


def copied_variant(name: str, source: nbformat.NotebookNode, learner: str) -> tuple[nbformat.NotebookNode, set[str]]:
    """``learner``'s variant, solved, with each answer cell ending by pasting ``source``'s values over its own;
    and the exercises whose answers were pasted (a function's code is copied as code, which is fair)."""
    values = answer_values(source, name)
    notebook = solved_variant(name, learner)
    pasted = set()
    for index, slot in answer_slots(notebook):
        if values.get(slot):
            notebook.cells[index].source += (
                "\nimport base64, pickle  # pasted from another learner's notebook\n"
                f"globals().update({{name: pickle.loads(base64.b64decode(value)) for name, value in "
                f"{values[slot]!r}.items()}})")
            pasted |= set(slot)
    return notebook, pasted


# --- the seed and the notebooks written --------------------------------------------------------------------------

def test_a_learner_always_gets_the_same_vetted_seed_and_learners_differ():
    names = notebook_names()
    seeds = {learner: [variant_seed(learner, name) for name in names] for learner in ("ada", "grace", "alan", "bo")}
    assert all(seed in VARIANT_SEEDS and seed != PUBLISHED_SEED for row in seeds.values() for seed in row)
    assert seeds["ada"] == [variant_seed(" Ada ", name) for name in names]  # one learner, however spelled
    assert seeds["ada"] != seeds["grace"]
    assert len({seed for row in seeds.values() for seed in row}) > 1


LEARNERS = [f"learner{number}@example.org" for number in range(3000)]
NAME = "01_model_health_dashboard"


OLD, NEW = CURRENT_SEED_LIST, CURRENT_SEED_LIST + 1


@pytest.fixture
def grown(monkeypatch):
    """The seed lists after one more seed, 997, was vetted: list NEW, the current one."""
    lists = {**variants.VARIANT_SEED_LISTS, NEW: (*VARIANT_SEEDS, 997)}
    monkeypatch.setattr(variants, "VARIANT_SEED_LISTS", lists)
    monkeypatch.setattr(variants, "CURRENT_SEED_LIST", NEW)
    return lists


def test_learners_are_spread_evenly_over_the_seeds():
    counts = {seed: 0 for seed in VARIANT_SEEDS}
    for learner in LEARNERS:
        counts[variant_seed(learner, NAME)] += 1
    expected = len(LEARNERS) / len(VARIANT_SEEDS)
    assert all(abs(count - expected) < 0.3 * expected for count in counts.values()), counts


def test_a_seed_added_to_the_next_list_takes_only_the_learners_it_wins(grown):
    moved = {learner: variant_seed(learner, NAME, NEW) for learner in LEARNERS
             if variant_seed(learner, NAME, NEW) != variant_seed(learner, NAME, OLD)}
    assert set(moved.values()) == {997}  # nobody moves between the old seeds
    assert 0.5 / len(grown[NEW]) < len(moved) / len(LEARNERS) < 1.5 / len(grown[NEW])


def test_a_seed_dropped_gives_back_only_its_own_learners(monkeypatch):
    dropped = VARIANT_SEEDS[3]
    monkeypatch.setattr(variants, "VARIANT_SEED_LISTS", {
        **variants.VARIANT_SEED_LISTS, NEW: tuple(seed for seed in VARIANT_SEEDS if seed != dropped)})
    assert all(variant_seed(learner, NAME, OLD) == dropped for learner in LEARNERS
               if variant_seed(learner, NAME, NEW) != variant_seed(learner, NAME, OLD))


def test_every_list_keeps_the_seeds_of_the_one_before():
    """A seed leaves only if vetting finds it broken; otherwise a list is the last one plus new seeds."""
    lists = variants.VARIANT_SEED_LISTS
    assert all(set(lists[number - 1]) <= set(lists[number]) for number in lists if number - 1 in lists)
    assert all(PUBLISHED_SEED not in seeds and len(set(seeds)) == len(seeds) for seeds in lists.values())


def test_a_copy_is_graded_on_the_seed_list_it_was_made_from(grown):
    mover = next(learner for learner in LEARNERS if variant_seed(learner, NAME, NEW) == 997)
    old_seed = variant_seed(mover, NAME, OLD)
    assert graded_seed({"variant": old_seed, "variant_list": OLD}, mover, NAME) == (old_seed, [])
    assert learner_variant(NAME, mover).metadata["model_health"]["variant_list"] == NEW
    assert graded_seed({}, mover, NAME) == (997, [])  # no variant handed out: the current list
    seed, notes = graded_seed({"variant": old_seed, "variant_list": 70}, mover, NAME)
    assert seed == 997 and notes[0].startswith("its metadata names seed list 70, which this workbook does not have")
    assert "but learner" in notes[1]  # and the seed it names is not this learner's on the list graded


def test_without_metadata_a_copy_is_graded_on_the_seed_its_set_up_cell_still_calls(grown):
    """An editor that drops the notebook's metadata must not move its learner to the newest list's seed; a set-up
    cell edited to a seed that is not the learner's own picks nothing."""
    mover = next(learner for learner in LEARNERS if variant_seed(learner, NAME, NEW) == 997)
    old_seed = variant_seed(mover, NAME, OLD)
    assert graded_seed({}, mover, NAME, written=old_seed) == (old_seed, [])
    assert graded_seed({}, mover, NAME, written=997) == (997, [])
    own = (old_seed, 997, variants._unnumbered_seed(mover, NAME))  # its seed on each list, and by the old rule
    stranger = next(seed for seed in VARIANT_SEEDS if seed not in own)
    assert graded_seed({}, mover, NAME, written=stranger) == (997, [])
    assert graded_seed({}, mover, NAME, written=PUBLISHED_SEED) == (997, [])
    copy = learner_variant(NAME, mover)
    assert written_seed(copy) == 997
    copy.cells.append(nbformat.v4.new_code_cell("setup(seed=7)"))
    assert written_seed(copy) is None  # two set-up calls: no seed to go by


def test_a_copy_made_before_lists_had_numbers_is_graded_on_its_old_seed(grown):
    def modulo_seed(learner):  # the rule those copies were made by, over list 1
        digest = hashlib.sha256(f"{NAME}\0{learner_key(learner)}".encode()).digest()
        first = variants.VARIANT_SEED_LISTS[1]
        return first[int.from_bytes(digest[:8], "big") % len(first)]

    for learner in LEARNERS[:50]:
        seed = modulo_seed(learner)
        assert graded_seed({"variant": seed}, learner, NAME) == (
            seed, [f"a copy made before seed lists had numbers: graded on its seed by that rule, {seed}"])
    assert graded_seed({"variant": "x", "variant_list": True}, "ada", NAME)[0] == variant_seed("ada", NAME, NEW)
    assert graded_seed({"variant_list": "7"}, "ada", NAME) == (variant_seed("ada", NAME, NEW), [])


@pytest.mark.parametrize("bad", ["", "  ", "a/b", "../x", ".hidden", "x" * 65])
def test_a_learner_id_that_cannot_name_a_folder_is_refused(bad):
    with pytest.raises(ValueError, match="can't name a folder"):
        learner_key(bad)


def test_a_learner_id_must_be_text():
    with pytest.raises(TypeError, match="is text"):
        learner_key(42)


def test_a_variant_changes_only_the_seed_and_says_whose_it_is():
    name = "01_model_health_dashboard"
    original = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
    variant = learner_variant(name, "ada")
    seed = variant_seed("ada", name)
    assert variant.metadata["model_health"] == {**original.metadata["model_health"], "learner": "ada",
                                                "variant": seed, "variant_list": CURRENT_SEED_LIST}
    changed = [(a.source, b.source) for a, b in zip(original.cells, variant.cells[:1] + variant.cells[2:])
               if a.source != b.source]
    assert changed == [(changed[0][0], changed[0][0].replace("setup(seed=2026)", f"setup(seed={seed})"))]
    assert "made for *ada*" in variant.cells[1].source and f"seed {seed}" in variant.cells[1].source
    with pytest.raises(ValueError, match="one set-up cell"):
        with_seed(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), 7)


def test_the_command_writes_a_folder_per_learner(tmp_path, capsys):
    roster = tmp_path / "class.csv"
    roster.write_text("# id, name\nbo@example.org, Bo\n\nAda, Ada Lovelace\n", encoding="utf-8")
    command = [sys.executable, "-m", "model_health", "variant", "--roster", str(roster), "--learner", "ada",
               "--notebook", "1", "--notebook", "13_interview_practice", "--out", str(tmp_path / "v")]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert read_roster(roster) == ["bo@example.org", "Ada"]
    assert sorted(str(path.relative_to(tmp_path / "v")) for path in (tmp_path / "v").rglob("*.ipynb")) == [
        "ada/01_model_health_dashboard.ipynb", "ada/13_interview_practice.ipynb",
        "bo@example.org/01_model_health_dashboard.ipynb", "bo@example.org/13_interview_practice.ipynb"]
    again = run_command(capsys, *command[3:])
    assert again.returncode == 0, again.stderr
    for bad, message in ((["--notebook", "99"], "No notebook '99'"), ([], "Name at least one learner"),
                         (["--learner", "a b"], "can't name a folder")):
        refused = run_command(capsys, "variant", *bad, "--out", tmp_path / "w",
                              *(["--learner", "ada"] if bad and bad[0] == "--notebook" else []))
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr


# --- a seed of their own for each learner (--distinct) -------------------------------------------------------------

CLASS = [f"learner{number}@example.org" for number in range(100)]


def test_a_class_of_100_gets_100_distinct_seeds_and_keeps_them_as_it_grows():
    """Issue 23 §7: with 100 seeds vetted for a notebook, 100 learners get one each; learners who join later get
    seeds no one has, and no one's seed moves."""
    pool = list(range(3, 303, 2))[:110]
    first = distinct_seeds([learner_key(learner) for learner in CLASS], NAME, pool, {})
    assert len(first) == 100 and len(set(first.values())) == 100 and set(first.values()) <= set(pool)
    assert list(first.values()) != sorted(first.values())  # not handed out in the roster's order
    joined = [*CLASS, *(f"late{number}" for number in range(10))]
    second = distinct_seeds([learner_key(learner) for learner in joined], NAME, pool, first)
    assert {key: second[key] for key in first} == first
    assert len(set(second.values())) == 110
    with pytest.raises(ValueError, match=r"111 learners need their own seed of 01_model_health_dashboard, but only "
                                         r"110 seeds are vetted .*110 given already.*vet --until 111 --notebook 01"):
        distinct_seeds([*second, "one.more"], NAME, pool, second)


def test_distinct_copies_name_the_class_list_and_the_seed_file_keeps_who_has_which(tmp_path):
    name = "13_interview_practice"
    written = write_variants(["Ada", "bo", "cy"], [name], tmp_path, distinct=True, pools={name: [7, 11, 19]})
    file = read_class_seeds(tmp_path / CLASS_SEEDS)
    assert sorted(file[name]) == ["ada", "bo", "cy"] and sorted(file[name].values()) == [7, 11, 19]
    for path in written:
        meta = nbformat.read(path, as_version=4).metadata["model_health"]
        assert meta["variant_list"] == variants.CLASS_LIST and meta["variant"] == file[name][path.parent.name]
    with pytest.raises(ValueError, match="only 3 seeds are vetted"):
        write_variants(["dee"], [name], tmp_path, distinct=True, pools={name: [7, 11, 19]})
    write_variants(["dee"], [name], tmp_path, distinct=True, pools={name: [7, 11, 19, 29]})
    assert read_class_seeds(tmp_path / CLASS_SEEDS)[name] == {**file[name], "dee": 29}


def test_the_class_seed_file_decides_a_learner_s_seed():
    name = "08_resume_screening_audit"
    seeds = {name: {"ada": 41, "grace": 7}}
    assert graded_seed({"variant": 41, "variant_list": "class"}, "Ada", name, class_seeds=seeds) == (41, [])
    seed, notes = graded_seed({"variant": 7, "variant_list": "class"}, "ada", name, class_seeds=seeds)
    assert seed == 41 and notes == ["its metadata names variant 7, but learner ada's variant is 41: graded against 41"]
    with pytest.raises(ValueError, match="learner zoe has no seed for 08_resume_screening_audit in the class's seed"):
        graded_seed({}, "zoe", name, class_seeds=seeds)
    with pytest.raises(ValueError, match="grade with --class-seeds FILE"):
        graded_seed({"variant": 41, "variant_list": "class"}, "ada", name)
    # A notebook the file does not name: the learner's seed on the seed lists, as without the file.
    assert graded_seed({}, "ada", NAME, class_seeds=seeds) == (variant_seed("ada", NAME), [])


@pytest.mark.parametrize("content", ["[1, 2]", '{"08": {"ada": "41"}}', '{"08": [41]}', "{", ""])
def test_a_file_that_is_not_a_class_seed_file_is_refused_clearly(tmp_path, content):
    path = tmp_path / "seeds.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"is not a class's seed file|Can't read the class's seed file"):
        read_class_seeds(path)


def test_the_command_gives_distinct_seeds_from_the_vetted_ones_and_refuses_a_class_too_big(tmp_path, capsys):
    """On the seeds the vetting record holds for notebook 13 (its seed lists', vetted on the current files)."""
    from model_health.classroom.vetting import vetted_seeds

    name = "13_interview_practice"
    pool = vetted_seeds(name)
    made = run_command(capsys, "variant", "--distinct", "--learner", "ada", "--learner", "bo", "--notebook", "13",
                       "--out", tmp_path)
    assert made.returncode == 0, made.stderr
    assert f"--class-seeds {tmp_path / CLASS_SEEDS}" in made.stdout
    given = read_class_seeds(tmp_path / CLASS_SEEDS)[name]
    assert len(set(given.values())) == 2 and set(given.values()) <= set(pool)
    crowd = [f"--learner=l{number}" for number in range(len(pool) + 1)]
    refused = run_command(capsys, "variant", "--distinct", *crowd, "--notebook", "13", "--out", tmp_path / "big")
    assert refused.returncode == 2 and f"vet --until {len(pool) + 1} --notebook 13" in refused.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    refused = run_command(capsys, "grade", str(tmp_path), "--class-seeds", bad, "--out", tmp_path / "g.csv")
    assert refused.returncode == 2 and "is not a class's seed file" in refused.stderr


# --- grading a class of variants ---------------------------------------------------------------------------------

def test_answer_digests_compare_the_data_an_answer_holds():
    import numpy as np
    import pandas as pd

    digest = batch_grading.answer_digest
    assert digest([0.81234]) == digest([np.float64(0.812341)]) == digest([pd.Series([0.81234])])
    assert digest([0.81234]) != digest([0.8129])
    assert digest([{"b": 0.25, "a": 0.5}]) == digest([{"a": 0.5, "b": 0.25}]) != digest([{"a": 0.25, "b": 0.5}])
    assert digest([{"spam-filter", "fraud"}]) == digest([["fraud", "spam-filter"]])
    assert digest(["a"]) != digest(["b"]) and digest([3]) != digest([4])
    assert digest([None, object(), len]) == ""  # a model, a figure or a function holds nothing to compare


def solver_of(name: str, index: int) -> str:
    """The solver whose variant of ``name`` the copier copies: the solvers take turns over the sampled notebooks,
    skipping one who shares the copier's seed (their right answers would be the copier's too)."""
    turns = SOLVERS[index % len(SOLVERS):] + SOLVERS[:index % len(SOLVERS)]
    return next(learner for learner in turns if variant_seed(learner, name) != variant_seed(COPIER, name))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    names = notebook_names(None if VARIANT_NOTEBOOKS == "all" else VARIANT_NOTEBOOKS.split(","))
    published = notebook_names(None if PUBLISHED_NOTEBOOKS == "all" else PUBLISHED_NOTEBOOKS.split(","))
    pasted = {}
    for name in published:
        nbformat.write(solved_learner_notebook(name), folder / f"published-{name}.ipynb")
    # Per sampled notebook, two variants solved (a solver's and a peer's on the copier's seed), and the copy.
    for index, name in enumerate(names):
        source = solver_of(name, index)
        for learner in (source, peer_of(COPIER, name)):
            (folder / learner).mkdir(exist_ok=True)
            nbformat.write(solved_variant(name, learner), folder / learner / f"{name}.ipynb")
        copy, pasted[name] = copied_variant(name, solved_variant(name, source), COPIER)
        (folder / COPIER).mkdir(exist_ok=True)
        nbformat.write(copy, folder / COPIER / f"{name}.ipynb")
    # Each variant is found by its metadata; the published notebook has none, so it grades on the published seed.
    rows = grade_all(collect([folder]), folder.parent / "gradebook.csv", options=Options(), jobs=2, progress=False)
    return names, rows, pasted, published


@needs_bubblewrap
@pytest.mark.slow
def test_every_variant_solved_with_the_solution_code_scores_full_marks(graded_class):
    """The sampled notebooks' answers, of every type (tables, models, figures, functions, a live DuckDB
    connection), cross from the kernel to the grader and grade as they do in the notebook, on the published data
    and on two learners' variants of each."""
    names, rows, _, published = graded_class
    solvers = [row for row in rows if row.learner != COPIER]
    assert len(solvers) == len(published) + len(names) * 2
    assert len({row.variant for row in solvers}) >= 3  # the published seed and several variants
    wrong = {(row.learner, row.notebook): (row.state, row.score, row.out_of, row.problems, {
        q: message for q, (status, message) in row.results.items() if status not in (Status.CORRECT, Status.WRITTEN)})
        for row in solvers if row.state != "graded" or row.score != row.out_of or row.problems or row.copied}
    assert wrong == {}
    for row in solvers:
        published = row.submission.split("/")[-1].startswith("published")
        assert row.variant == ("" if published else str(variant_seed(row.learner, row.notebook)))


@needs_bubblewrap
@pytest.mark.slow
def test_answers_copied_from_another_variant_are_graded_wrong_and_flagged(graded_class):
    names, rows, pasted, _ = graded_class
    by = {(row.learner, row.notebook): row for row in rows}
    report = {}
    for name in names:
        copier = by[(COPIER, name)]
        assert copier.variant == str(variant_seed(COPIER, name))
        # Exercises whose right answer differs between the source's variant and the copier's own (a peer's
        # right answer): a copy of those can be caught; a choice every variant shares cannot, and needn't be.
        source = by[(solver_of(name, names.index(name)), name)]
        own = by[(peer_of(COPIER, name), name)]
        graded = {exercise.name for exercise in batch_grading._exercise_set(name)
                  if not isinstance(exercise, WrittenAnswer)}
        varying = {q for q in pasted[name] & graded
                   if source.answer_digests.get(q) not in ("", own.answer_digests.get(q))}
        caught = {q for q in varying if copier.results[q][0] is not Status.CORRECT}
        report[name] = f"{len(caught)}/{len(varying)} caught ({len(pasted[name] & graded)} pasted); {copier.copied}"
        assert varying, name
        assert len(caught) > len(varying) / 2, (name, sorted(varying - caught))
        if len(caught) >= 2:
            assert f"learner {source.learner}'s variant ({source.variant})" in copier.copied
    print("\n".join(f"{name}: {line}" for name, line in report.items()))


@needs_bubblewrap
@pytest.mark.slow
def test_with_variants_a_notebook_is_graded_on_its_learner_s_variant_whatever_its_metadata_says(tmp_path):
    name = "08_resume_screening_audit"  # any notebook: the lightest to grade
    stripped = solved_variant(name, "grace")
    del stripped.metadata["model_health"]["learner"], stripped.metadata["model_health"]["variant"]
    tampered = solved_variant(name, "ada")
    other = next(seed for seed in VARIANT_SEEDS if seed != variant_seed("ada", name))
    tampered.metadata["model_health"]["variant"] = other
    for learner, notebook in (("grace", stripped), ("ada", tampered)):
        (tmp_path / "class" / learner).mkdir(parents=True)
        nbformat.write(notebook, tmp_path / "class" / learner / f"{name}.ipynb")
    rows = {row.learner: row for row in grade_all(collect([tmp_path / "class"]), tmp_path / "gradebook.csv",
                                                  options=Options(variants=True), jobs=2, progress=False)}
    assert rows["grace"].variant == str(variant_seed("grace", name))  # the learner named by the folder
    assert rows["ada"].variant == str(variant_seed("ada", name))
    assert f"its metadata names variant {other}, but learner ada's variant is {variant_seed('ada', name)}" in \
        "; ".join(rows["ada"].problems)
    assert all(row.score == row.out_of for row in rows.values())
    written = (tmp_path / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert written[0].startswith("submission,learner,notebook,variant,state,score,out_of,problems,copied,sandbox,"
                                 "digest,")


@needs_bubblewrap
@pytest.mark.slow
def test_with_a_class_seed_file_each_learner_is_graded_on_the_seed_it_gives_them(tmp_path, capsys):
    """The file decides, not the learner ID's hash nor the copy's metadata: here it swaps the seeds the two IDs
    would get from the list, one copy claims the other's seed, and a learner the file lacks is not graded."""
    name = "08_resume_screening_audit"
    seeds = {"grace": variant_seed("ada", name), "ada": variant_seed("grace", name)}
    assert seeds["ada"] != seeds["grace"]
    (tmp_path / CLASS_SEEDS).write_text(json.dumps({name: seeds}), encoding="utf-8")
    for learner in ("ada", "grace", "zoe"):
        solved = with_seed(solved_learner_notebook(name), seeds.get(learner, PUBLISHED_SEED))
        claimed = seeds["grace"] if learner == "ada" else seeds.get(learner, 7)
        solved.metadata["model_health"].update(learner=learner, variant=claimed, variant_list=variants.CLASS_LIST)
        (tmp_path / "class" / learner).mkdir(parents=True)
        nbformat.write(solved, tmp_path / "class" / learner / f"{name}.ipynb")
    completed = run_command(capsys, "grade", tmp_path / "class", "--class-seeds", tmp_path / CLASS_SEEDS,
                                     "--out", tmp_path / "gradebook.csv")
    assert completed.returncode == 0, completed.stderr
    with open(tmp_path / "gradebook.csv", encoding="utf-8", newline="") as gradebook:
        rows = {row["learner"]: row for row in csv.DictReader(gradebook)}
    for learner in ("ada", "grace"):
        assert rows[learner]["variant"] == str(seeds[learner]) and rows[learner]["score"] == rows[learner]["out_of"]
    assert f"its metadata names variant {seeds['grace']}, but learner ada's variant is {seeds['ada']}" in \
        rows["ada"]["problems"]
    assert rows["zoe"]["state"] == "not graded" and "zoe has no seed for" in rows["zoe"]["problems"]
