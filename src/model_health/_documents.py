"""Documents a person wrote (YAML, JSON): read them safely, say where a problem is, and what breaks their schema.

No numpy or pandas here: the quiz command imports this, and starts in a fraction of a second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

__all__ = ["DocumentReader", "field_name", "schema_problems", "shorten", "shown"]

# Bounds on a document: far above any real one (the example policy is 3 KB, 200 values; the quiz bank 25 KB), far
# below what exhausts a machine (540 bytes of YAML aliases expand to a billion values).
MAX_DOCUMENT_BYTES = 1_000_000
MAX_VALUES = 200_000
MAX_DEPTH = 32


def shorten(text: str, limit: int = 80) -> str:
    """``text``, or its start and its length when longer than ``limit``: an error never echoes a huge value.

    >>> shorten("x" * 100, 5)
    'xxxxx... (100 characters)'
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def shown(value) -> str:
    """``value`` as a message quotes it: its repr, cut when long (a name or key can be any length)."""
    return shorten(repr(value), 80)


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


def _yaml_children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


def _data_children(value) -> list:
    return list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []


def _check_shape(root, children, source, reader: DocumentReader) -> list:
    """The distinct values of a parsed document, once it is known to be at most MAX_DEPTH levels deep, to hold
    at most MAX_VALUES values when each YAML alias counts as a copy of what it names, and not to contain itself.

    Walks each distinct value once (with a stack, not recursion), so an alias bomb is measured, not expanded.
    """
    end = object()
    sizes, visited, on_path, stack = {}, [], {id(root)}, [(root, iter(children(root)))]
    while stack:
        node, pending = stack[-1]
        child = next(pending, end)
        if child is end:
            stack.pop()
            on_path.discard(id(node))
            visited.append(node)
            sizes[id(node)] = 1 + sum(sizes[id(part)] for part in children(node))
            if sizes[id(node)] > MAX_VALUES:
                raise reader.error(f"{source}: holds more than {MAX_VALUES:,} values, counting each alias (*name) as "
                                   f"what it stands for; {reader.kind} holds far fewer.")
        elif id(child) in on_path:
            raise reader.error(f"{source}: an alias (*name) refers to a value that contains it; write the value out.")
        elif id(child) not in sizes:
            if len(stack) >= MAX_DEPTH:
                raise reader.error(f"{source}: nested more than {MAX_DEPTH} levels deep; {reader.kind} needs a "
                                   "handful.")
            on_path.add(id(child))
            stack.append((child, iter(children(child))))
    return visited


class _StrictYAMLLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses a key given twice in a mapping (YAML would keep the last silently), and checks
    the document's size and depth (:func:`_check_shape`) before building anything from it."""

    def __init__(self, stream: str, name: str, reader: DocumentReader):
        super().__init__(stream)
        self.name = name  # its marks name the file, not "<unicode string>"
        self.reader = reader

    def construct_document(self, node):
        for mapping in _check_shape(node, _yaml_children, self.name, self.reader):
            if isinstance(mapping, yaml.MappingNode):
                self._refuse_repeated_keys(mapping)
        return super().construct_document(node)

    def _refuse_repeated_keys(self, node: yaml.MappingNode) -> None:
        lines = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key, line = self.construct_object(key_node), key_node.start_mark.line + 1
                if key in lines:
                    raise self.reader.error(f"{self.name}, line {line}: the key {shown(key)} is given again (first "
                                            f"on line {lines[key]}); give each key once.")
                lines[key] = line


def _load_json(text: str, source, reader: DocumentReader) -> object:
    def unique_keys(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise reader.error(f"{source}: the key {shown(key)} is given twice in one object; give each key "
                                   "once.")
            seen.add(key)
        return dict(pairs)

    document = json.loads(text, object_pairs_hook=unique_keys)
    _check_shape(document, _data_children, source, reader)
    return document


@dataclass(frozen=True)
class DocumentReader:
    """Reads a document a person wrote, refusing what would be read wrongly or exhaust the machine: a key given
    twice, more than MAX_DOCUMENT_BYTES, MAX_VALUES or MAX_DEPTH. Problems raise ``error`` naming the file (and
    the line); ``kind`` says in them what such a file is ("a policy or evidence file")."""

    error: type[Exception] = ValueError
    kind: str = "such a file"

    def read(self, path) -> object:
        """The document in ``path`` (JSON for a .json file, else YAML), refused if it is larger than
        MAX_DOCUMENT_BYTES, repeats a key, or breaks :func:`_check_shape`'s bounds."""
        path = Path(path)
        try:
            with path.open("rb") as file:
                data = file.read(MAX_DOCUMENT_BYTES + 1)
        except FileNotFoundError:
            raise self.error(f"{path}: no such file.") from None
        except OSError as error:
            raise self.error(f"{path}: cannot be read ({error.strerror or error}).") from None
        if len(data) > MAX_DOCUMENT_BYTES:
            raise self.error(f"{path}: larger than {MAX_DOCUMENT_BYTES:,} bytes; {self.kind} is far smaller. Is it "
                             "the right file?")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise self.error(f"{path}: cannot be read as UTF-8 text ({error}).") from None
        syntax, loader = ("JSON" if path.suffix == ".json" else "YAML"), None
        try:
            if syntax == "JSON":
                return _load_json(text, path, self)
            loader = _StrictYAMLLoader(text, str(path), self)  # it reads the text at once: a control character raises
            return loader.get_single_data()
        except (json.JSONDecodeError, yaml.YAMLError) as error:
            raise self.error(f"{path}: not valid {syntax}: {shorten(str(error), 500)}") from None
        except RecursionError:  # the parser recurses per level of nesting: it gives up before _check_shape runs
            raise self.error(f"{path}: nested more than {MAX_DEPTH} levels deep; {self.kind} needs a "
                             "handful.") from None
        finally:
            if loader is not None:
                loader.dispose()
