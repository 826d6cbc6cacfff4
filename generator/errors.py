"""Diagnostics: what is wrong with a briefing, said the way a compiler says it.

Every stage reports problems as `Diagnostic`s into a `Report` instead of
raising at the first one, so an author sees every mistake in one run. A stage
that cannot go on raises `BriefingError` (the one exception root); the CLI
turns it into messages and an exit status.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True)
class Diagnostic:
    path: str  # relative to the project, with forward slashes
    line: int  # 1-based; 0 when the problem is the file as a whole
    col: int  # 1-based; 0 when unknown
    message: str
    severity: str = "error"  # "error" or "warning"
    hint: str | None = None

    def format(self) -> str:
        # A problem with the file as a whole points at its start, so editors can still jump to it.
        text = f"{self.path}:{max(self.line, 1)}:{max(self.col, 1)}: {self.severity}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text

    def sort_key(self):
        return (self.path, self.line, self.col, self.message)


@dataclass
class Report:
    """Collects diagnostics from every stage of one run."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, path: str, line: int, col: int, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(path, line, col, message, "error", hint))

    def warning(self, path: str, line: int, col: int, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(path, line, col, message, "warning", hint))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self.diagnostics), key=Diagnostic.sort_key)

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))


class BriefingError(Exception):
    """The root of every error the CLI reports as a message, not a traceback."""

    exit_status = 1

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()):
        super().__init__(message)
        self.diagnostics = sorted(set(diagnostics), key=Diagnostic.sort_key)


class ContentError(BriefingError):
    """The content tree breaks the contract; `diagnostics` says where and how."""


class UsageError(BriefingError):
    """The command line asks for something impossible (exit status 2)."""

    exit_status = 2


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest known choice, or None when nothing is close."""
    choices = list(choices)
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not match:
        # 'zelensky' should find 'volodymyr-zelenskyy': compare against each part too.
        lowered = word.lower()
        for choice in sorted(choices):
            parts = choice.split("-")
            if any(difflib.SequenceMatcher(None, lowered, p).ratio() >= 0.75 for p in parts):
                match = [choice]
                break
    return f"did you mean '{match[0]}'?" if match else None
