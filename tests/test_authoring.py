"""One source, two notebooks: solution markers, stubs and the learner version."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from model_health.teaching.authoring import MarkerError, learner_version, solution_regions, stub_for


class TestSolutionRegions:
    def test_finds_regions_with_ids(self):
        """Each region carries its exercise id and dedented code."""
        source = "a = 1\n### BEGIN SOLUTION q2\nb = 2\n### END SOLUTION\n    ### BEGIN SOLUTION q3\n    c = 3\n    ### END SOLUTION"
        regions = solution_regions(source)
        assert [(r.exercise, r.code, r.indent) for r in regions] == [("q2", "b = 2", ""), ("q3", "c = 3", "    ")]

    @pytest.mark.parametrize(("source", "message"), [
        ("### BEGIN SOLUTION q1\n### BEGIN SOLUTION q2\nx = 1\n### END SOLUTION", "inside the region opened at line 1"),
        ("x = 1\n### END SOLUTION", "END SOLUTION without a BEGIN"),
        ("### BEGIN SOLUTION q1\nx = 1", "never closed"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "BEGIN SOLUTION qN"),
    ])
    def test_marker_errors(self, source, message):
        """Nested, stray, unclosed and malformed markers are errors, not a silent mess."""
        with pytest.raises(MarkerError, match=message):
            solution_regions(source, where="nb, cell 3")


class TestStubFor:
    @pytest.mark.parametrize(("code", "stub"), [
        ("x = f(1)", ["x = ____"]),
        ("a, b = split(x)", ["a, b = ____, ____"]),
        ("n: int = 3", ["n = ____"]),
        ("total = sum(x)\nreturn total / len(x)", ["total = ____", "return ____"]),
        ("x = 1\nx = x + 1\nprint(x)", ["x = ____"]),
        ("frame = MetricFrame(\n    metrics={},\n)", ["frame = ____"]),
    ])
    def test_stubs(self, code, stub):
        """Assignments become `name = ____`, returns `return ____`, duplicates collapse."""
        assert stub_for(code) == stub

    def test_region_that_assigns_nothing(self):
        """A region with nothing to fill in is an error."""
        with pytest.raises(MarkerError, match="assigns no variable"):
            stub_for("print('hi')")

    def test_code_that_does_not_parse(self):
        """A syntax error in a solution is reported with its place."""
        with pytest.raises(MarkerError, match="q4: the solution does not parse"):
            stub_for("x = (", where="q4")


class TestLearnerVersion:
    @pytest.fixture
    def solution(self):
        cells = [
            new_markdown_cell("# Title"),
            new_code_cell("def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION q2\n    y = x * 2\n    return y\n    ### END SOLUTION",
                          execution_count=4, outputs=[new_output("stream", name="stdout", text="hi")]),
            new_code_cell("### BEGIN SOLUTION q1\nz = 1\n### END SOLUTION\nprint(z)", execution_count=5),
            new_code_cell("q1.check()", execution_count=6),
        ]
        return new_notebook(cells=cells)

    def test_stub_keeps_indentation_inside_a_function(self, solution):
        """The stub replaces the region at the region's indentation."""
        learner, _ = learner_version(solution)
        assert learner.cells[1].source == (
            'def f(x):\n    """Doc."""\n    # Your code here (q2)\n    y = ____\n    return ____')
        assert learner.cells[2].source == "# Your code here (q1)\nz = ____\nprint(z)"

    def test_outputs_and_counts_cleared(self, solution):
        """The learner copy has no outputs or execution counts; the source is untouched."""
        learner, _ = learner_version(solution)
        assert all(cell.outputs == [] and cell.execution_count is None
                   for cell in learner.cells if cell.cell_type == "code")
        assert solution.cells[1].outputs, "the solution notebook must not be modified"

    def test_other_cells_unchanged(self, solution):
        """Markdown and cells without markers are copied as they are."""
        learner, _ = learner_version(solution)
        assert learner.cells[0].source == "# Title"
        assert learner.cells[3].source == "q1.check()"

    def test_solutions_in_exercise_order(self, solution):
        """Solution code is collected per exercise, ordered q1, q2, …"""
        _, solutions = learner_version(solution)
        assert list(solutions) == ["q1", "q2"]
        assert solutions == {"q1": "z = 1", "q2": "y = x * 2\nreturn y"}

    def test_round_trips_through_nbformat(self, solution):
        """The learner notebook is a valid nbformat 4 notebook."""
        learner, _ = learner_version(solution)
        nbformat.validate(learner)


def test_learner_cells_carry_their_role_and_the_notebook_its_version():
    """Batch grading finds exercises by these ids, whatever a learner moved, copied or deleted."""
    import hashlib
    import json

    from model_health.teaching.authoring import learner_version

    solution = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION q1\nanswer = x + 1\n### END SOLUTION"),
        nbformat.v4.new_code_cell("q1.check()"),
        nbformat.v4.new_code_cell("print(answer)"),
    ])
    learner, _ = learner_version(solution, name="99_example.ipynb")
    roles = [cell.metadata["model_health"] for cell in learner.cells]
    assert roles == [{"role": "given", "id": "given-1"}, {"role": "answer", "exercises": ["q1"]},
                     {"role": "check", "exercise": "q1"}, {"role": "given", "id": "given-2"}]
    cells = json.dumps([[cell.cell_type, cell.source] for cell in learner.cells], ensure_ascii=False)
    assert learner.metadata["model_health"] == {"notebook": "99_example",
                                                "version": hashlib.sha256(cells.encode()).hexdigest()[:12]}
