"""Parsed documents (YAML, JSON): where in one a problem is, and what breaks its JSON Schema.

No numpy or pandas here: the quiz command imports this, and starts in a fraction of a second.
"""

from __future__ import annotations

__all__ = ["field_name", "schema_problems", "shorten"]


def shorten(text: str, limit: int = 80) -> str:
    """``text``, or its start and its length when longer than ``limit``: an error never echoes a huge value.

    >>> shorten("x" * 100, 5)
    'xxxxx... (100 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def field_name(path) -> str:
    """A path into a parsed document as a field name: tiers.high.rules[1].metric, or "(top level)".

    >>> field_name(["tiers", "high", "rules", 1, "metric"]), field_name([3, "level"]), field_name([])
    ('tiers.high.rules[1].metric', '[3].level', '(top level)')
    """
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f"{'.' if text else ''}{part}"
    return text or "(top level)"


def schema_problems(instance, schema: dict) -> list[str]:
    """Every way ``instance`` breaks the JSON Schema ``schema``, as "field: message", in the document's order."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(instance),
                    key=lambda error: [(isinstance(part, str), part) for part in error.path])
    return [f"{shorten(field_name(error.path), 120)}: {shorten(error.message, 200)}" for error in errors]
