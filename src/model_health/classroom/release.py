"""What a graded kernel sees of the exercises: a release build without checks or references, and the references
handed in one exercise at a time.

nbgrader keeps a release apart from its source; so does the batch grader. A submission's kernel (in the sandbox)
imports the exercise modules of :func:`write_release`: every given name is there (constants, given functions, the
exercises with their titles, hints and the names they read), but no code that checks an answer or computes the
right one. Where a given cell needs an exercise's reference (``q3.carry_forward()``), the kernel reads it with
:func:`handed_in` from a folder it can only read, into which the grader copies it after it has read that
exercise's answer. The references come from a run of the published solutions on the same seed, which recorded
what each ``carry_forward()`` handed on (:func:`record_carried`). So an answer cell that calls ``carry_forward()``,
``reference()`` or a check's own helpers for its own exercise gets nothing to copy. The same run records the given
variables (:func:`record_given`), from which the grader's checks compute their expected values: a submission that
changes ``y_test`` at its end changes nothing they judge by. A given path into the run's working copy (a prediction
log, a policy file, an MLflow store's URI) is recorded relative to it (:class:`InWorkspace`), with a copy of the file
it names; a given the run cannot record (a database connection, a server) is marked :class:`PinnedInKernel`.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import pickle
import shutil
import sys
from pathlib import Path

# In a graded kernel: the folder the grader hands each exercise's reference into once it has read that answer.
HANDED_IN = "MODEL_HEALTH_HANDED_IN"
EXERCISES = Path(__file__).resolve().parents[1] / "teaching" / "exercises"
WORKSPACE = "{workspace}"  # where an InWorkspace value's text names the working copy's folder
GIVEN_FILES = "given-files"  # beside a recording's given variables: the files their paths name, as the run left them
SIDECARS = ("", "-wal", "-journal")  # a file, and what SQLite keeps beside a database file that is part of it
GRADING_BASES = {"Exercise", "WrittenAnswer", "StarAnswer"}  # the exercise classes of model_health.teaching.grading
# Methods an exercise module may adapt that given cells call: kept (an override of carry_forward puts the reference
# in the form the cells below expect; the reference itself is handed in).
GIVEN_METHODS = {"carry_forward"}


class NotHandedIn(RuntimeError):
    """A reference asked for in a graded kernel before the grader read that exercise's answer."""


def handed_in(exercise: str):
    """In a graded kernel, the reference the grader handed in for ``exercise`` (what ``carry_forward()`` returns)."""
    folder = os.environ.get(HANDED_IN)
    path = Path(folder) / f"{exercise}.pickle" if folder else None
    if path is None or not path.is_file():
        raise NotHandedIn(f"while graded, {exercise}'s reference is handed in only after its answer is read: no "
                          f"answer can be carried from it")
    with path.open("rb") as file:
        return pickle.load(file)


def by_value(value, module: str) -> bytes:
    """``value`` pickled for a graded kernel, which lacks the code of the exercise module ``module``: what that module
    defines (a reference function, a class) goes by value."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[module])
    return cloudpickle.dumps(value)


def record_carried(folder: str) -> None:
    """In a run of the published solutions: save what each exercise's ``carry_forward()`` hands on into ``folder``
    (``q3.pickle``), so a kernel without the exercise modules' code can use them (:func:`by_value`)."""
    from model_health.teaching.grading import Exercise

    carry_forward = Exercise.carry_forward

    def recorded(self):
        value = carry_forward(self)
        (Path(folder) / f"{self.name}.pickle").write_bytes(by_value(value, type(self).__module__))
        return value

    Exercise.carry_forward = recorded


@dataclasses.dataclass(frozen=True)
class InWorkspace:
    """A given value naming a file or folder in a run's working copy (a path, or a URI that holds one), kept with
    the working copy's folder as :data:`WORKSPACE`, so that the grader can point it at its own copy of that file."""

    template: str
    is_path: bool

    @property
    def relative(self) -> str:
        """The file's path inside the working copy's folder."""
        return self.template.partition(WORKSPACE)[2].lstrip("/")

    def at(self, folder: Path) -> str | Path:
        """The value with ``folder`` as the working copy's folder, of the type the run gave it."""
        text = self.template.replace(WORKSPACE, str(folder))
        return Path(text) if self.is_path else text


class PinnedInKernel:
    """Marks a given the run could not record (a database connection, a server): the grader takes the object the
    submission's given cell made, as that cell leaves it, whatever later cells bind to its name."""


def record_given(namespace: dict, names: list[str], folder: str, workspace: str, written_by_answers=()) -> None:
    """At the end of a run of the published solutions: save the given variables ``names`` (those whose last value a
    given cell set) into ``folder`` (``y_test.pickle``), which the grader's checks read instead of a submission's.

    A path into this run's ``workspace`` (gone once the run ends) is saved as an :class:`InWorkspace`, and the file
    it names is copied into :data:`GIVEN_FILES` beside ``folder``, unless answers write to it (``written_by_answers``,
    which an answer cell may set: graded on the submission's own file). A value that cannot be pickled is saved as
    :class:`PinnedInKernel`."""
    import cloudpickle

    files = Path(folder).parent / GIVEN_FILES
    for made in (Path(folder), files):
        made.mkdir(parents=True, exist_ok=True)
    for name in sorted({*names, *written_by_answers}):
        if name not in namespace:
            continue
        value = namespace[name]
        if isinstance(value, (str, os.PathLike)) and workspace in str(value):
            value = InWorkspace(str(value).replace(workspace, WORKSPACE), isinstance(value, os.PathLike))
            source = Path(workspace) / value.relative
            if name not in written_by_answers and source.is_dir():
                (files / value.relative).mkdir(parents=True, exist_ok=True)
            if name not in written_by_answers and source.is_file():
                for suffix in SIDECARS:
                    if source.with_name(source.name + suffix).is_file():
                        target = files / value.relative
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(source.with_name(source.name + suffix), target.with_name(target.name + suffix))
        try:
            data = cloudpickle.dumps(value)
        except Exception:  # noqa: BLE001 - a connection, a server: the grader pins the submission's own
            data = pickle.dumps(PinnedInKernel())
        (Path(folder) / f"{name}.pickle").write_bytes(data)


def _stub(node: ast.FunctionDef | ast.AsyncFunctionDef, body: list[ast.stmt]) -> None:
    node.body = body
    node.decorator_list = [decorator for decorator in node.decorator_list  # a cache has nothing left to cache
                           if not (isinstance(decorator, ast.Name) and decorator.id == "cache")]


def released_source(source: str) -> str:
    """An exercise module's source as a graded kernel gets it: the exercise classes keep their attributes, and
    ``reference`` reads the handed-in reference; every other method of theirs but ``GIVEN_METHODS``, and every
    module-level function the module does not export (``__all__``), raises."""
    tree = ast.parse(source)
    exported = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            exported = set(ast.literal_eval(node.value))
    graded_elsewhere = ast.parse("raise RuntimeError('In a graded kernel the grader checks the answers, outside "
                                 "the kernel.')").body
    hand_in = ast.parse("from model_health.classroom.release import handed_in\nreturn handed_in(self.name)").body
    exercise_classes = set(GRADING_BASES)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(isinstance(base, ast.Name) and base.id in exercise_classes
                                                  for base in node.bases):
            exercise_classes.add(node.name)
            for method in node.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and not method.name.startswith("__") \
                        and method.name not in GIVEN_METHODS:
                    _stub(method, hand_in if method.name == "reference" else graded_elsewhere)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in exported:
            _stub(node, graded_elsewhere)
    return ast.unparse(tree) + "\n"


def write_release(target: Path) -> Path:
    """The release build of the exercise modules, written to the folder ``target`` (made anew), which a graded
    kernel's sandbox mounts in place of the package's ``exercises`` folder."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for module in sorted(EXERCISES.glob("*.py")):
        source = module.read_text(encoding="utf-8")
        (target / module.name).write_text(source if module.name == "__init__.py" else released_source(source),
                                          encoding="utf-8")
    return target
