"""Safe YAML that remembers where every value was written.

PyYAML's composer gives nodes with line and column marks; we turn those nodes
into plain Python values ourselves, so that
  - every mapping and list knows the position of each key and item (errors
    point at the offending node, not at the file),
  - a scalar's text is kept as written (`2014` and `2025-03-18` are EDTF dates
    to us, not an int and a date),
  - no tag can construct an object, and aliases cannot expand without bound.
The C parser (libyaml) is used when available: about ten times faster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # libyaml missing: the pure-Python parser gives the same nodes
    _Loader = yaml.SafeLoader

_STANDARD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_STANDARD}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")}
_MAPPING_TAGS = {f"{_STANDARD}map", f"{_STANDARD}set"}
_SEQUENCE_TAGS = {f"{_STANDARD}seq"}
_MAX_EXPANDED_NODES = 200_000  # far above any honest file; an alias bomb blows past it at once

_BOOLS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_SURROGATE = re.compile("[\ud800-\udfff]")
_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)$")


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based, in the file (front matter offsets already applied)
    col: int  # 1-based


class YAMLProblem(Exception):
    def __init__(self, message: str, mark: Mark):
        super().__init__(message)
        self.message = message
        self.mark = mark


class YMap(dict):
    """A mapping that knows where it, each key and each value stand."""

    mark: Mark
    key_marks: dict
    value_marks: dict
    raw: dict  # key -> the scalar value's text as written (scalars only)

    def key_mark(self, key) -> Mark:
        return self.key_marks.get(key, self.mark)

    def value_mark(self, key) -> Mark:
        return self.value_marks.get(key, self.mark)


class YList(list):
    """A list that knows where it and each item stand."""

    mark: Mark
    item_marks: list
    raw: list


def load(text: str, line_offset: int = 0, problems: list | None = None):
    """Parse one YAML document into plain values (YMap, YList, str, int, float, bool, None).

    Raises YAMLProblem when the text is not YAML at all. A value that is YAML
    but not allowed (an object-constructing tag) becomes None and its problem
    is added to `problems`, so the rest of the file is still checked.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if error.context_mark and "end of stream" in (error.problem or ""):
            mark = error.context_mark  # an unclosed quote or bracket: point where it was opened
        where = Mark(mark.line + 1 + line_offset, mark.column + 1) if mark else Mark(line_offset + 1, 1)
        message = error.problem or str(error)
        if error.context:
            message = f"{error.context}, {message}"
        raise YAMLProblem(f"invalid YAML: {message}", where) from None
    except yaml.YAMLError as error:
        raise YAMLProblem(f"invalid YAML: {error}", Mark(line_offset + 1, 1)) from None
    if node is None:
        return None
    return _Converter(line_offset, problems if problems is not None else []).convert(node)


class _Converter:
    def __init__(self, line_offset: int, problems: list):
        self.line_offset, self.problems = line_offset, problems
        self.expanded = 0
        self.active: set[int] = set()  # nodes being converted: a repeat is a recursive alias

    def mark(self, node) -> Mark:
        return Mark(node.start_mark.line + 1 + self.line_offset, node.start_mark.column + 1)

    def convert(self, node):
        self.expanded += 1
        if self.expanded > _MAX_EXPANDED_NODES:
            raise YAMLProblem("YAML aliases expand to too many values (an 'alias bomb'); write the values out", self.mark(node))
        if id(node) in self.active:
            raise YAMLProblem("a YAML alias refers to the value that contains it", self.mark(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node)
            return self.sequence(node)
        finally:
            self.active.discard(id(node))

    def allowed(self, node, tags) -> bool:
        if node.tag in tags:
            return True
        tag = node.tag.replace(_STANDARD, "!!")
        self.problems.append(YAMLProblem(
            f"YAML tag '{tag}' is not allowed: a briefing holds plain text, numbers, lists and mappings", self.mark(node)))
        return False

    def scalar(self, node):
        if not self.allowed(node, _SCALAR_TAGS):
            return None
        if _SURROGATE.search(node.value):
            self.problems.append(YAMLProblem(
                "this text holds a lone surrogate (an escape such as \\ud800), which is not a character", self.mark(node)))
            return None
        value, tag = node.value, node.tag[len(_STANDARD):]
        if tag == "null":
            return None
        if tag == "bool":
            return _BOOLS.get(value.lower(), value)
        if tag == "int" and _INT.match(value):
            return int(value.replace("_", ""))
        if tag == "float":
            try:
                return float(value.replace("_", ""))
            except ValueError:
                return value
        # Timestamps, octal or sexagesimal integers, binary: keep the text as
        # written; the field that reads it knows what it means.
        return value

    def mapping(self, node) -> YMap | None:
        if not self.allowed(node, _MAPPING_TAGS):
            return None
        result = YMap()
        result.mark, result.key_marks, result.value_marks, result.raw = self.mark(node), {}, {}, {}
        for key_node, value_node in node.value:
            if key_node.tag == f"{_STANDARD}merge":
                raise YAMLProblem("YAML merge keys ('<<') are not supported; write the keys out", self.mark(key_node))
            if not isinstance(key_node, yaml.ScalarNode):
                raise YAMLProblem("a mapping key must be plain text", self.mark(key_node))
            key = key_node.value  # keys are names: keep their text as written
            if key in result:
                raise YAMLProblem(f"duplicate key '{key}'", self.mark(key_node))
            result[key] = self.convert(value_node)
            result.key_marks[key] = self.mark(key_node)
            result.value_marks[key] = self.mark(value_node)
            if isinstance(value_node, yaml.ScalarNode):
                result.raw[key] = value_node.value
        return result

    def sequence(self, node) -> YList | None:
        if not self.allowed(node, _SEQUENCE_TAGS):
            return None
        result = YList(self.convert(item) for item in node.value)
        result.mark = self.mark(node)
        result.item_marks = [self.mark(item) for item in node.value]
        result.raw = [item.value if isinstance(item, yaml.ScalarNode) else None for item in node.value]
        return result
