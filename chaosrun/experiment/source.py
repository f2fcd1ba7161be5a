"""Parsing YAML and JSON documents while remembering the line of every field.

``parse_document(path)`` returns the plain data (dicts, lists, scalars) and a :class:`LineMap`
from field paths (tuples of keys and list indices) to ``(file, line)``. For a mapping entry the
line is the line of its *key*, for a list item the line where the item starts.

YAML is composed to a node tree with PyYAML (which keeps marks) and constructed node by node.
JSON gets a small position-tracking parser built on the standard library's scanner: PyYAML is a
YAML 1.1 parser and rejects some valid JSON (tabs, for one), and a ``.json`` experiment must be
valid JSON for plain ``chaos run`` anyway.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

FieldPath = tuple[str | int, ...]

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
SUFFIXES = YAML_SUFFIXES + JSON_SUFFIXES

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_path(path: Iterable[str | int]) -> str:
    """``("method", 2, "provider", "arguments", "x")`` -> ``method[2].provider.arguments.x``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None


@dataclass
class LineMap:
    """Field path -> location. Lookups fall back to the nearest recorded ancestor."""

    file: str
    lines: dict[FieldPath, Location] = field(default_factory=dict)

    def record(self, path: FieldPath, line: int | None, file: str | None = None) -> None:
        self.lines[path] = Location(file or self.file, line)

    def locate(self, path: Iterable[str | int]) -> Location:
        parts = tuple(path)
        while parts:
            found = self.lines.get(parts)
            if found is not None:
                return found
            parts = parts[:-1]
        return self.lines.get((), Location(self.file, None))

    def line(self, path: Iterable[str | int]) -> int | None:
        return self.locate(path).line

    def graft(self, prefix: FieldPath, other: LineMap, other_prefix: FieldPath = ()) -> None:
        """Copy ``other``'s entries under ``other_prefix`` to ``prefix`` here (keeping files)."""
        n = len(other_prefix)
        for path, loc in other.lines.items():
            if path[:n] == other_prefix:
                self.lines[prefix + path[n:]] = loc

    def drop(self, prefix: FieldPath) -> None:
        n = len(prefix)
        for path in [p for p in self.lines if p[:n] == prefix and len(p) > n]:
            del self.lines[path]


class SourceError(Exception):
    """The file could not be read or parsed; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Document:
    path: Path
    data: Any
    lines: LineMap
    #: duplicate keys found while parsing: (path of the duplicate key, line)
    duplicates: list[tuple[FieldPath, int | None]] = field(default_factory=list)


def parse_document(path: str | Path) -> Document:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SourceError("file is not UTF-8 text") from None
    suffix = p.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return _JsonParser(text, str(p)).document(p)
    if suffix in YAML_SUFFIXES:
        return _parse_yaml(text, p)
    raise SourceError(f"unsupported file type {suffix or '(none)'!r}: use .yaml, .yml or .json")


# -- YAML ------------------------------------------------------------------------------------


def _parse_yaml(text: str, path: Path) -> Document:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines = LineMap(str(path))
        doc = Document(path, None, lines)
        if node is not None:
            doc.data = _construct(loader, node, (), doc)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise SourceError(f"invalid YAML: {msg}", line) from None
    except yaml.YAMLError as exc:
        raise SourceError(f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _construct(loader: yaml.SafeLoader, node: Node, path: FieldPath, doc: Document) -> Any:
    if path == ():
        doc.lines.record((), node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise SourceError("mapping keys must be scalars", key_node.start_mark.line + 1)
            child = (*path, key if isinstance(key, str) else str(key))
            line = key_node.start_mark.line + 1
            if key in out:
                doc.duplicates.append((child, line))
            doc.lines.record(child, line)
            out[key] = _construct(loader, value_node, child, doc)
        return out
    if isinstance(node, SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = (*path, i)
            doc.lines.record(child, item.start_mark.line + 1)
            items.append(_construct(loader, item, child, doc))
        return items
    assert isinstance(node, ScalarNode)
    return loader.construct_object(node, deep=True)


# -- JSON ------------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_decoder = json.JSONDecoder()


class _JsonParser:
    def __init__(self, text: str, file: str) -> None:
        self.s = text
        self.file = file
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line_of(self, idx: int) -> int:
        return bisect.bisect_left(self.newlines, idx) + 1

    def document(self, path: Path) -> Document:
        doc = Document(path, None, LineMap(self.file))
        try:
            i = self.ws(0)
            doc.lines.record((), self.line_of(i))
            doc.data, i = self.value(i, (), doc)
            i = self.ws(i)
            if i != len(self.s):
                raise json.JSONDecodeError("Extra data", self.s, i)
        except json.JSONDecodeError as exc:
            raise SourceError(f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
        except RecursionError:
            raise SourceError("invalid JSON: nested too deeply") from None
        return doc

    def ws(self, i: int) -> int:
        m = _WS.match(self.s, i)
        return m.end() if m else i

    def expect(self, i: int, what: str) -> None:
        if self.s[i : i + 1] != what:
            raise json.JSONDecodeError(f"Expecting {what!r}", self.s, i)

    def value(self, i: int, path: FieldPath, doc: Document) -> tuple[Any, int]:
        c = self.s[i : i + 1]
        if c == "{":
            out: dict[str, Any] = {}
            i = self.ws(i + 1)
            if self.s[i : i + 1] == "}":
                return out, i + 1
            while True:
                self.expect(i, '"')
                key, j = _decoder.raw_decode(self.s, i)
                child = (*path, key)
                line = self.line_of(i)
                if key in out:
                    doc.duplicates.append((child, line))
                doc.lines.record(child, line)
                j = self.ws(j)
                self.expect(j, ":")
                j = self.ws(j + 1)
                out[key], j = self.value(j, child, doc)
                j = self.ws(j)
                if self.s[j : j + 1] == ",":
                    i = self.ws(j + 1)
                    continue
                self.expect(j, "}")
                return out, j + 1
        if c == "[":
            items: list[Any] = []
            i = self.ws(i + 1)
            if self.s[i : i + 1] == "]":
                return items, i + 1
            while True:
                child = (*path, len(items))
                doc.lines.record(child, self.line_of(i))
                item, j = self.value(i, child, doc)
                items.append(item)
                j = self.ws(j)
                if self.s[j : j + 1] == ",":
                    i = self.ws(j + 1)
                    continue
                self.expect(j, "]")
                return items, j + 1
        try:
            return _decoder.raw_decode(self.s, i)
        except json.JSONDecodeError:
            raise json.JSONDecodeError("Expecting value", self.s, i) from None
