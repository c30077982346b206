"""A dependency's import deferred until it is used, because importing it costs every process a second.

``rfc3987-syntax`` comes with Jupyter (``jsonschema[format-nongpl]``). ``jsonschema`` imports it whenever
it is imported (so does ``nbformat``, so every grader, command and test process), and the import compiles
about 40 Lark grammars: 1 s of CPU, though only a schema with an "iri" format ever uses them
(python-jsonschema/jsonschema#1428). :func:`defer_rfc3987_syntax` puts a stand-in in its place whose
``is_valid_syntax`` loads the real module on its first call, so IRI formats are still checked, by the
real code.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types

__all__ = ["defer_rfc3987_syntax"]

PACKAGE = "rfc3987_syntax"
IMPLEMENTATION = f"{PACKAGE}.syntax_helpers"  # what the package's __init__ re-exports with `import *`


def defer_rfc3987_syntax() -> None:
    """Put the stand-in in ``sys.modules``, unless the package is imported already or not installed."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        return
    stand_in = types.ModuleType(PACKAGE, "Stand-in for rfc3987_syntax that imports it on first use.")
    stand_in.__spec__, stand_in.__file__ = spec, spec.origin
    stand_in.__path__ = list(spec.submodule_search_locations)  # so its submodules import as usual

    def is_valid_syntax(term: str, value: str):
        return importlib.import_module(IMPLEMENTATION).is_valid_syntax(term, value)

    def __getattr__(name: str):  # PEP 562: any other name is the real module's, loaded now
        if name.startswith("__"):  # tools probing modules for dunders must not trigger the load
            raise AttributeError(name)
        return getattr(importlib.import_module(IMPLEMENTATION), name)

    stand_in.is_valid_syntax, stand_in.__getattr__ = is_valid_syntax, __getattr__
    sys.modules[PACKAGE] = stand_in
