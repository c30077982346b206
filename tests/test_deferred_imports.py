"""Importing the package defers rfc3987-syntax's costly import, and IRI formats are still checked by it."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_fresh(code: str) -> str:
    """``code``'s output in a new interpreter: what a process that imports the package first sees."""
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout.split()


def test_nbformat_after_the_package_does_not_compile_the_iri_grammars():
    pytest.importorskip("rfc3987_syntax")
    assert run_fresh("import sys, model_health, nbformat, jsonschema; "
                     "print('rfc3987_syntax.syntax_helpers' in sys.modules)") == ["False"]


def test_iri_formats_are_still_checked_by_rfc3987_syntax_on_first_use():
    pytest.importorskip("rfc3987_syntax")
    checked = run_fresh(
        "import sys, model_health\n"
        "from jsonschema import Draft202012Validator as V\n"
        "for kind in ('iri', 'iri-reference'):\n"
        "    v = V({'format': kind}, format_checker=V.FORMAT_CHECKER)\n"
        "    print(v.is_valid('https://例え.jp/ä?q=1'), v.is_valid('http://a b/<>'))\n"
        "import rfc3987_syntax\n"
        "print('rfc3987_syntax.syntax_helpers' in sys.modules, rfc3987_syntax.is_valid_syntax_iri('urn:x'))")
    assert checked == ["True", "False", "True", "False", "True", "True"]


def test_a_process_that_imported_it_first_keeps_the_real_module():
    pytest.importorskip("rfc3987_syntax")
    assert run_fresh("import rfc3987_syntax, model_health, sys; "
                     "print('is_valid_syntax_iri' in vars(sys.modules['rfc3987_syntax']))") == ["True"]


def test_probing_the_stand_in_for_dunders_does_not_load_it():
    pytest.importorskip("rfc3987_syntax")
    assert run_fresh("import inspect, sys, model_health, rfc3987_syntax as r; "
                     "print(getattr(r, '__wrapped__', None), inspect.getmodule(print) is not None, "
                     "'rfc3987_syntax.syntax_helpers' in sys.modules)") == ["None", "True", "False"]
