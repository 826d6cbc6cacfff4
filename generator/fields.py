"""Reading the fields of one YAML mapping, reporting every problem with its position.

A `Fields` wraps one mapping of one file. Each getter returns a clean value or
None after reporting why not, so a parser reads top to bottom and still
collects every mistake in the file in one run.
"""

from __future__ import annotations

import re
from datetime import tzinfo

from .dates import EDTF, DateError, parse_edtf
from .errors import Report, did_you_mean
from .yamlsrc import Mark, YList, YMap

ID = re.compile(r"[a-z0-9-]{1,64}$")
ID_RULE = "lower-case ASCII letters, digits and '-', 1 to 64 characters"
_TYPE_NAMES = {str: "text", int: "a whole number", bool: "true or false", YList: "a list", YMap: "a mapping"}


def describe(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, YList):
        return "a list"
    if isinstance(value, YMap):
        return "a mapping"
    return "text"


def id_problem(value: str) -> str | None:
    if ID.match(value):
        return None
    return f"'{value}' is not a valid id: use {ID_RULE}"


class Fields:
    def __init__(self, mapping: YMap, path: str, report: Report, known: tuple[str, ...], what: str):
        self.map, self.path, self.report, self.what = mapping, path, report, what
        for key in mapping:
            if key not in known:
                mark = mapping.key_mark(key)
                self.report.warning(path, mark.line, mark.col, f"unknown key '{key}' in {what}",
                                    did_you_mean(key, known) or f"known keys: {', '.join(known)}")

    # Positions -------------------------------------------------------------

    def key_mark(self, key) -> Mark:
        return self.map.key_mark(key)

    def value_mark(self, key) -> Mark:
        return self.map.value_mark(key)

    def error(self, mark: Mark, message: str, hint: str | None = None) -> None:
        self.report.error(self.path, mark.line, mark.col, message, hint)

    def warning(self, mark: Mark, message: str, hint: str | None = None) -> None:
        self.report.warning(self.path, mark.line, mark.col, message, hint)

    def missing(self, key: str) -> None:
        self.error(self.map.mark, f"{self.what} is missing the required key '{key}'")

    # Getters ----------------------------------------------------------------

    def has(self, key) -> bool:
        return key in self.map and self.map[key] is not None

    def text(self, key: str, required: bool = False, default: str | None = None) -> str | None:
        """A non-empty string. Numbers are taken as written (a title may be '1917')."""
        if not self.has(key):
            if required:
                self.missing(key)
            return default
        value = self.map[key]
        if isinstance(value, (YList, YMap)) or isinstance(value, bool):
            self.error(self.value_mark(key), f"'{key}' must be text, not {describe(value)}")
            return default
        value = self.map.raw.get(key, str(value)) if not isinstance(value, str) else value
        value = value.strip()
        if not value:
            if required:
                self.error(self.value_mark(key), f"'{key}' must not be empty")
            return default
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of strings; a single string is taken as a list of one."""
        return tuple(text for text, _ in self.texts_at(key))

    def texts_at(self, key: str) -> list[tuple[str, Mark]]:
        """Each string of a list with its position."""
        if not self.has(key):
            return []
        value = self.map[key]
        if isinstance(value, str):
            return [(value.strip(), self.value_mark(key))] if value.strip() else []
        if not isinstance(value, YList):
            self.error(self.value_mark(key), f"'{key}' must be a list of text, not {describe(value)}")
            return []
        out = []
        for item, mark, raw in zip(value, value.item_marks, value.raw):
            if isinstance(item, (YList, YMap)) or item is None or isinstance(item, bool):
                self.error(mark, f"each item of '{key}' must be text, not {describe(item)}")
                continue
            text = (item if isinstance(item, str) else raw).strip()
            if text:
                out.append((text, mark))
            else:
                self.error(mark, f"an item of '{key}' is empty")
        return out

    def choice(self, key: str, choices: tuple[str, ...], required: bool = False, default: str | None = None):
        value = self.text(key, required=required)
        if value is None:
            return default
        if value not in choices:
            self.error(self.value_mark(key), f"'{key}' must be one of {', '.join(choices)}, not '{value}'",
                       did_you_mean(value, choices))
            return default
        return value

    def mapping(self, key: str, required: bool = False) -> YMap | None:
        if not self.has(key):
            if required:
                self.missing(key)
            return None
        value = self.map[key]
        if not isinstance(value, YMap):
            self.error(self.value_mark(key), f"'{key}' must be a mapping of keys to values, not {describe(value)}")
            return None
        return value

    def items(self, key: str) -> list[tuple[YMap, Mark]]:
        """A list of mappings, such as `events:`; other items are reported and skipped."""
        if not self.has(key):
            return []
        value = self.map[key]
        if not isinstance(value, YList):
            self.error(self.value_mark(key), f"'{key}' must be a list, not {describe(value)}")
            return []
        out = []
        for item, mark in zip(value, value.item_marks):
            if isinstance(item, YMap):
                out.append((item, mark))
            else:
                self.error(mark, f"each item of '{key}' must be a mapping with keys, not {describe(item)}")
        return out

    def url(self, key: str, schemes=("http", "https")) -> str | None:
        value = self.text(key)
        if value is None:
            return None
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        if scheme not in schemes or not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:(//)?[^\s]+$", value):
            self.error(self.value_mark(key), f"'{key}' must be an {' or '.join(schemes)} address, not '{value}'")
            return None
        return value

    def edtf(self, key: str, tz: tzinfo, required: bool = False) -> EDTF | None:
        if not self.has(key):
            if required:
                self.missing(key)
            return None
        value = self.map[key]
        if isinstance(value, (YList, YMap)) or isinstance(value, bool):
            self.error(self.value_mark(key), f"'{key}' must be a date (EDTF), not {describe(value)}")
            return None
        written = self.map.raw.get(key, str(value)).strip()
        try:
            return parse_edtf(written, tz)
        except DateError as error:
            self.error(self.value_mark(key), str(error))
            return None

    def ref(self, key: str, known, kind: str, required: bool = False) -> str | None:
        """A reference to a leader or topic id that must exist."""
        value = self.text(key, required=required)
        if value is None:
            return None
        return self.check_ref(value, self.value_mark(key), known, kind)

    def refs(self, key: str, known, kind: str) -> tuple[str, ...]:
        out = []
        for item, mark in self.texts_at(key):
            checked = self.check_ref(item, mark, known, kind)
            if checked and checked not in out:
                out.append(checked)
        return tuple(out)

    def check_ref(self, value: str, mark: Mark, known, kind: str) -> str | None:
        if value in known:
            return value
        self.error(mark, f"unknown {kind} '{value}'", did_you_mean(value, known))
        return None
