"""The exercises' release build, which a graded kernel imports (issue 23 §1): every given name and exercise is
there, no check or reference code is, and a reference reaches the kernel only when the grader hands it in."""

from __future__ import annotations

import ast
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import model_health
from model_health.paths import notebook_names
from model_health.classroom.release import EXERCISES, GIVEN_METHODS, HANDED_IN, released_source, write_release

MODULES = sorted(path for path in EXERCISES.glob("nb*.py"))
RAISES = "raise RuntimeError('In a graded kernel the grader checks the answers, outside the kernel.')"


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.stem[:4])
def test_no_check_or_reference_code_is_left(module):
    """Every method of an exercise class raises, except `reference`, which reads the handed-in reference, and
    `carry_forward`, which puts it in its form; every function the module does not export raises. What is left is
    what the notebook's given cells use."""
    original = ast.parse(module.read_text(encoding="utf-8"))
    released = ast.parse(released_source(module.read_text(encoding="utf-8")))
    exported = next(ast.literal_eval(node.value) for node in original.body if isinstance(node, ast.Assign)
                    and any(isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets))
    stubbed, kept = [], []
    for node in released.body:
        if isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, ast.FunctionDef) and not method.name.startswith("__") \
                        and method.name not in GIVEN_METHODS:
                    stubbed.append((f"{node.name}.{method.name}", method))
        elif isinstance(node, ast.FunctionDef):
            (kept if node.name in exported else stubbed).append((node.name, node))
    assert stubbed, "no exercise class or helper found"
    for name, function in stubbed:
        body = "\n".join(ast.unparse(statement) for statement in function.body)
        expected = ("from model_health.classroom.release import handed_in\nreturn handed_in(self.name)"
                    if name.endswith(".reference") else RAISES)
        assert body == expected, f"{module.stem}: {name} keeps code in the release build"
    assert {name for name, _ in kept} <= set(exported)


@pytest.fixture(scope="module")
def released_package(tmp_path_factory) -> Path:
    """A copy of the package whose exercises are the release build, as the sandbox mounts it."""
    root = tmp_path_factory.mktemp("release")
    package = Path(model_health.__file__).parent
    shutil.copytree(package, root / "model_health", ignore=shutil.ignore_patterns("exercises", "__pycache__"))
    write_release(root / "model_health" / "teaching" / "exercises")
    return root


def test_a_graded_kernel_gets_the_given_names_and_only_handed_in_references(released_package, tmp_path):
    """Imported as a graded kernel imports it, each release module has every exported name and the same exercises
    (titles, the variables they read); a reference is there once its file is handed in, and not before."""
    from model_health.teaching.grading._core import GRADING_KERNEL

    assert not (released_package / "model_health" / "teaching" / "exercises" / "solutions").exists()
    from model_health.classroom.batch_grading import _exercise_set
    from model_health.teaching.grading import Exercise

    names = notebook_names()
    handed = {}  # per notebook, its first exercise with a reference: the one handed in
    for name in names:
        handed[name] = next(e.name for e in _exercise_set(name) if type(e).reference is not Exercise.reference)
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{handed[name]}.pickle").write_bytes(pickle.dumps("handed in"))
    script = f"""
import importlib, json, os
from model_health.teaching.grading import bind
from model_health.classroom.release import NotHandedIn
bind({{}})
from model_health.paths import notebook_names
found = {{}}
for name, handed in {handed!r}.items():
    os.environ[{HANDED_IN!r}] = {str(tmp_path)!r} + "/" + name
    module = importlib.import_module("model_health.teaching.exercises.nb" + name)
    exercises = module.EXERCISES.exercises
    missing = [exported for exported in module.__all__ if not hasattr(module, exported)]
    carried = {{}}
    for exercise in exercises:
        try:
            carried[exercise.name] = exercise.carry_forward()
        except NotHandedIn as error:
            carried[exercise.name] = "not handed in"
        except Exception as error:
            carried[exercise.name] = type(error).__name__
    found[name] = {{"missing": missing, "exercises": [[e.name, e.title, list(e.reads)] for e in exercises],
                   "handed": carried[handed], "others": sorted(set(v for q, v in carried.items() if q != handed))}}
print(json.dumps(found))
"""
    environment = {**os.environ, "PYTHONPATH": str(released_package), GRADING_KERNEL: "1"}
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment,
                               cwd=tmp_path, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    found = json.loads(completed.stdout.strip().splitlines()[-1])

    for name in names:
        original = [[e.name, e.title, list(e.reads)] for e in _exercise_set(name)]
        assert found[name]["missing"] == [], name
        assert found[name]["exercises"] == original, name
        assert found[name]["handed"] == "handed in", name
        # the rest are not handed in (an exercise without a reference, a written answer, says it has none)
        assert set(found[name]["others"]) <= {"not handed in", "NotImplementedError"}, (name, found[name]["others"])
