"""The package's structure (issue 25): no module imports one that imports it back, directly or round a longer
circle, counting the imports inside functions, which defer a circle rather than remove it; and one place knows
where the checkout's files are."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from model_health import paths
from model_health.classroom.vetting import imported_names  # the vetting digest's walk, one for both

PACKAGE = Path(paths.__file__).resolve().parent


def module_name(path: Path) -> str:
    return ".".join(("model_health", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")


def import_graph() -> dict[str, set[str]]:
    """Each module of the package -> the package's modules it imports anywhere in its source."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        imported = imported_names(path.read_text(encoding="utf-8"))
        graph[name] = {module for module in imported if module in modules and module != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The graph's strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif successor not in index:
                index[successor] = low[successor] = counter
                counter += 1
                stack.append(successor)
                on_stack.add(successor)
                work.append((successor, iter(sorted(graph[successor]))))
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
    return found


def test_no_module_imports_one_that_imports_it_back():
    assert circles(import_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_only_paths_works_out_where_the_checkout_is():
    """Modules ask model_health.paths where the notebooks, solutions and data are, and which notebooks exist."""
    computing = sorted(module_name(path) for path in PACKAGE.rglob("*.py")
                       if "Path(__file__).resolve().parents[2]" in path.read_text(encoding="utf-8"))
    assert computing == ["model_health.paths"]
    globbing = sorted(module_name(path) for path in PACKAGE.rglob("*.py")
                      if '"notebooks").glob(' in path.read_text(encoding="utf-8"))
    assert globbing == []


AUDIENCES = ("services", "teaching", "classroom")  # the subpackages; each may import only the layers before it


def layer(module: str) -> int:
    """0 for the learner's toolkit (the top level), then 1, 2, 3 for the subpackages in AUDIENCES' order."""
    parts = module.split(".")
    return AUDIENCES.index(parts[1]) + 1 if len(parts) > 2 and parts[1] in AUDIENCES else 0


def test_each_audience_imports_only_the_layers_before_it():
    """The tree shows whom code serves, and the imports keep to it: the learner's toolkit imports no service,
    teaching or classroom code; services import no teaching or classroom code; teaching imports nothing of the
    classroom's (so a graded kernel can be given the teaching layer without the grader). ``__main__``, the command
    line of every audience, is the one module above them all."""
    crossing = sorted(f"{module} imports {other}" for module, others in import_graph().items()
                      if module != "model_health.__main__" for other in others if layer(other) > layer(module))
    assert crossing == []


def test_the_layer_rule_sees_each_subpackage():
    assert [layer(name) for name in ("model_health.drift._fast", "model_health.services.serving",
                                     "model_health.teaching.grading._core", "model_health.classroom.sandbox")] == [
        0, 1, 2, 3]


@pytest.mark.parametrize("package", ["model_health", *(f"model_health.{name}" for name in AUDIENCES)])
def test_each_package_docstring_names_every_module_and_subpackage(package):
    """Issue 25: the package's docstring is its map, one line per module or subpackage, grouped by whom they serve,
    and each audience's subpackage lists its own; a module added to the tree without a line there fails here."""
    module = importlib.import_module(package)
    folder = Path(module.__file__).parent
    public = {path.stem if path.is_file() else path.name for path in folder.iterdir()
              if (path.suffix == ".py" or (path / "__init__.py").is_file()) and not path.name.startswith("_")}
    missing = sorted(name for name in public if f"``{name}``" not in module.__doc__)
    assert missing == []
