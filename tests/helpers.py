"""Test helpers: write a dict of files into a temporary project, build it in memory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from generator.errors import Report
from generator.pipeline import check, load_briefing

REPO = Path(__file__).resolve().parent.parent

SITE = """\
title: Test briefing
description: A small briefing for tests.
timezone: Europe/Berlin
topics:
  ceasefire:
    title: A ceasefire
  aid:
    title: Military aid
"""

LEADERS = {
    "content/leaders/anna-berg.yaml": "name: Anna Berg\naliases: [Berg, Анна Берг]\nrole: Prime Minister\ncountry: Norland\n",
    "content/leaders/jonas-vik.yaml": "name: Jonas Vik\naliases: [Vik]\nrole: President\ncountry: Sudland\nwikidata: Q42\n",
}

ARTICLE = """\
---
title: Leaders meet
published: 2025-03-19
source:
  outlet: Daily Test
  agencies: [AFP]
  url: https://example.org/leaders-meet
summary:
  - Berg and Vik met.
events:
  - id: meeting
    when: 2025-03-18
    what: Berg and Vik meet
    who: [anna-berg, jonas-vik]
    topics: [ceasefire]
    anchor: met in the capital
quotes:
  - who: anna-berg
    text: a good first step
stances:
  - who: jonas-vik
    topic: ceasefire
    stance: conditional
    detail: Only if aid stops.
    anchor: only if aid stops
---
Anna Berg and Jonas Vik met in the capital on Tuesday.

Berg called it “a good first step”. Vik said a ceasefire could come only if aid stops.
"""


def project_files(**overrides: str | None) -> dict[str, str]:
    """The files of a small valid project; keyword names are paths with '/' written as '__'."""
    files = {"content/site.yaml": SITE, **LEADERS, "content/articles/leaders-meet.md": ARTICLE}
    for key, text in overrides.items():
        path = key.replace("__", "/")
        if text is None:
            files.pop(path, None)
        else:
            files[path] = text
    return files


def write_project(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data) if data.startswith("\n") else data, encoding="utf-8")
    return root


def checked(root: Path, files: dict[str, str | bytes]) -> Report:
    return check(write_project(root, files))


def briefing_of(root: Path, files: dict[str, str | bytes]):
    briefing, _ = load_briefing(write_project(root, files))
    return briefing


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)
