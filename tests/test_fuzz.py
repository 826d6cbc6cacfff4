"""Fuzzing the loader: any text, any YAML, gives a model or located errors, never an exception."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ARTICLE, project_files, write_project

from generator.errors import Diagnostic
from generator.pipeline import check

KEYS = ["title", "published", "updated", "source", "summary", "events", "quotes", "stances", "when", "what",
        "who", "topics", "id", "anchor", "text", "stance", "topic", "detail", "outlet", "url", "via", "language"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
    st.sampled_from(["2025-03-18", "2025-02-30", "2018?", "201X", "2025-21", "2025-03-18/..", "anna-berg",
                     "ceasefire", "supports", "met in the capital", "../../etc/passwd", "<script>x</script>"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)),
    max_leaves=25)
FRONT = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_files(files) -> list[Diagnostic]:
    root = Path(tempfile.mkdtemp(prefix="briefing-fuzz-"))
    try:
        return check(write_project(root, files)).diagnostics
    finally:
        shutil.rmtree(root)


def _assert_located(diagnostics: list[Diagnostic]) -> None:
    for d in diagnostics:
        assert d.path.startswith("content/") and d.line >= 0 and d.message


@SETTINGS
@given(st.text(max_size=400))
def test_any_text_as_an_article(text):
    _assert_located(_check_files(project_files(**{"content__articles__leaders-meet.md": text})))


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_as_front_matter(text):
    _assert_located(_check_files(project_files(**{"content__articles__leaders-meet.md": f"---\n{text}\n---\nBody.\n"})))


@SETTINGS
@given(FRONT)
def test_any_yaml_structure_as_front_matter(front):
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\nAnna Berg met in the capital.\n"
    _assert_located(_check_files(project_files(**{"content__articles__leaders-meet.md": text})))


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS[:10]), VALUES, max_size=6), st.sampled_from(["events", "quotes", "stances"]))
def test_any_item_in_a_list_of_annotations(item, key):
    front = yaml.safe_load(ARTICLE.split("---\n")[1])
    front[key] = [item]
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + ARTICLE.split("---\n", 2)[2]
    _assert_located(_check_files(project_files(**{"content__articles__leaders-meet.md": text})))


@SETTINGS
@given(st.text(max_size=300), st.text(max_size=200))
def test_any_text_as_site_and_leader(site, leader):
    _assert_located(_check_files(project_files(**{"content__site.yaml": site, "content__leaders__anna-berg.yaml": leader})))


@SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_as_a_timeline(data):
    _assert_located(_check_files(project_files(**{"content__timeline.yaml": data})))
