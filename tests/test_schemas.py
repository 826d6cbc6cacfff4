"""The editor schemas (generator/schemas/*.schema.json) and the validator agree.

`briefing check` is the judge of what a briefing may hold; the JSON Schemas give
editors the same rules for autocompletion and squiggles. These tests keep the two
from drifting apart:

  - every bundled content file, the helpers' valid project and a project that uses
    every key and every extension pass both;
  - each invalid sample is rejected by both;
  - the keys each schema lists are exactly the keys the validator knows (the *_KEYS
    tuples), and a key is required by the schema exactly when the validator reports
    it missing;
  - the schema's patterns never reject a date, a timestamp or an id the validator accepts.

Files are parsed with yaml.safe_load, which turns unquoted dates into date objects;
they are turned back into their ISO text, as an editor (YAML 1.2) sees them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from generator import article as article_module
from generator import settings as settings_module
from generator.dates import DateError, parse_edtf, parse_timestamp
from generator.fields import ID
from helpers import REPO, checked, project_files

SCHEMA_NAMES = ("site", "leader", "article", "timeline")


def load_schema(name: str) -> dict:
    return json.loads(resources.files("generator.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))


SCHEMAS = {name: load_schema(name) for name in SCHEMA_NAMES}
VALIDATORS = {name: Draft202012Validator(schema) for name, schema in SCHEMAS.items()}


# ---------------------------------------------------------------------------
# Reading files as an editor sees them


def editor_view(value):
    """PyYAML's value with dates and date-times turned back into the text they were written as."""
    if isinstance(value, dt.date):  # and dt.datetime, its subclass
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): editor_view(item) for key, item in value.items()}
    if isinstance(value, list):
        return [editor_view(item) for item in value]
    return value


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$", re.M | re.S)


def read_data(rel: str, text: str):
    """The YAML data of one content file: the front matter of an article, the whole file otherwise."""
    if rel.endswith((".md", ".markdown")):
        match = _FRONT_MATTER.match(text)
        assert match, f"{rel}: no front matter"
        text = match.group(1)
    return editor_view(yaml.safe_load(text))


def schema_for(rel: str) -> str:
    parts = rel.split("/")
    if parts[1] == "leaders":
        return "leader"
    if parts[1] == "articles":
        return "article"
    stem = parts[1].rsplit(".", 1)[0]
    assert stem in ("site", "timeline"), rel
    return stem


def schema_errors(rel: str, text: str) -> list[str]:
    data = read_data(rel, text)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in VALIDATORS[schema_for(rel)].iter_errors(data)]


def content_files(root: Path) -> dict[str, str]:
    content = root / "content"
    paths = [*content.glob("site.y*ml"), *content.glob("timeline.y*ml"),
             *content.glob("leaders/*.y*ml"), *content.glob("articles/*.md")]
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in sorted(paths)}


# ---------------------------------------------------------------------------
# A project that uses every key the validator knows and every extension

BODY = """\
Anna Berg and Jonas Vik met in the capital on Tuesday.

Berg called it “a good first step”. Vik said a ceasefire could come only if aid stops.

The Council said it would wait.
"""

# Every form of `when` the contract lists, and the extensions dates.py accepts.
EDTF_FORMS = [
    2014, "2025", "2025-03", "2025-03-18", "2025-03-18T14:00", "2025-03-18T14:00:00", "2025-03-18T14:00:00Z",
    "2025-03-18T14:00:00-04:00", "2025-03-18T14:00:00+05", "2025-03-18/2025-04-17", "2025-03-18/..", "2025-03-18/",
    "../2025-03-18", "/2025-03-18", "2018?", "2025-02~", "2004-06-11%", "201X", "20XX", "2025-XX", "2025-03-XX",
    "2025-XX-XX", "2025-21", "2025-22", "2025-23", "2025-24", "2025-21~", "2024-12/2025-02", "2018?/2019~",
    "2025-03-18T14:00:00-04:00/2025-03-18T16:00:00-04:00", "201X/2025",
]


def full_project() -> dict:
    """{path: data}; articles are (front matter, body)."""
    timeline = [{
        "when": "2022-02-24", "what": "The invasion", "who": ["jonas-vik"], "topics": ["aid"], "id": "invasion",
        "source": {"outlet": "Reuters", "agencies": ["AFP", "AP"], "url": "https://example.org/invasion",
                   "via": {"outlet": "Yahoo News", "url": "http://example.com/copy"}},
        "note": "Dated from Reuters' own report.",
    }]
    timeline += [{"when": when, "what": f"Background event {n}", "source": {"outlet": "Reuters"}}
                 for n, when in enumerate(EDTF_FORMS, start=1)]
    return {
        "content/site.yaml": {
            "title": "Test briefing", "description": "A small briefing for tests.", "language": "en-GB",
            "timezone": "Europe/Berlin", "base_url": "https://example.org/briefing/", "cname": "news.example.org",
            "allow_raw_html": False,
            "topics": {"ceasefire": {"title": "A ceasefire", "description": "Whether the fighting stops."},
                       "aid": "Military aid"},
        },
        "content/leaders/anna-berg.yaml": {"name": "Anna Berg", "aliases": ["Berg", "Анна Берг"], "role": "Prime Minister",
                                           "country": "Norland", "kind": "person", "wikidata": "Q42"},
        "content/leaders/jonas-vik.yaml": {"name": "Jonas Vik", "aliases": "Vik", "role": "President", "country": 1917},
        "content/leaders/council.yml": {"name": "The Council", "aliases": ["Council"], "role": "Cabinet",
                                        "kind": "organisation"},
        "content/articles/leaders-meet.md": ({
            "title": "Leaders meet", "published": "2025-03-19T10:30:00+01:00", "updated": "2025-03-19 14:00",
            "source": {"outlet": "Daily Test", "agencies": "AFP", "url": "https://example.org/leaders-meet",
                       "via": {"outlet": "Yahoo News", "url": "https://example.com/leaders-meet"}},
            "language": "en",
            "summary": ["Berg and Vik met.", "Vik set a **condition**."],
            "events": [{"when": "2025-03-18", "what": "Berg and Vik meet", "who": ["anna-berg", "jonas-vik"],
                        "topics": ["ceasefire"], "id": "meeting", "anchor": "met in the capital",
                        "note": "Tuesday is 18 March."},
                       {"when": "2022-02-24", "what": "The invasion", "id": "invasion"},
                       {"when": 2025, "what": "Talks", "who": "council", "topics": "aid"}],
            "quotes": [{"who": "anna-berg", "text": "a good first step", "when": "2025-03-18"}],
            "stances": [{"who": "jonas-vik", "topic": "ceasefire", "stance": "conditional", "detail": "Only if aid stops.",
                         "anchor": "only if aid stops", "when": "2025-03-18"},
                        {"who": "council", "topic": "aid", "stance": "unclear"}],
        }, BODY),
        "content/timeline.yaml": timeline,
    }


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def render(project: dict) -> dict[str, str]:
    files = {}
    for rel, data in project.items():
        if isinstance(data, tuple):
            front, body = data
            files[rel] = "---\n" + dump(front) + "---\n" + body
        else:
            files[rel] = dump(data)
    return files


def test_the_full_project_uses_every_extension_and_checks_clean(tmp_path):
    report = checked(tmp_path, render(full_project()))
    assert report.diagnostics == [], [d.format() for d in report.diagnostics]


# ---------------------------------------------------------------------------
# Valid content passes every schema


def valid_corpus() -> list[tuple[str, str, str]]:
    corpus = [("content", rel, text) for rel, text in content_files(REPO).items()]
    corpus += [("helpers", rel, text) for rel, text in project_files().items()]
    corpus += [("full", rel, text) for rel, text in render(full_project()).items()]
    return corpus


def test_the_bundled_content_checks_clean():
    from generator.pipeline import check

    assert check(REPO).errors == []
    assert any(rel.startswith("content/articles/") for rel in content_files(REPO))


@pytest.mark.parametrize("origin, rel, text", valid_corpus(), ids=[f"{o}:{r}" for o, r, _ in valid_corpus()])
def test_valid_files_pass_their_schema(origin, rel, text):
    assert schema_errors(rel, text) == []


def test_a_date_written_unquoted_is_read_as_an_editor_reads_it():
    data = read_data("content/timeline.yaml", "- when: 2025-03-18\n  what: x\n  source: {outlet: y}\n- when: 2014\n"
                                              "  what: x\n  source: {outlet: y}\n")
    assert [item["when"] for item in data] == ["2025-03-18", 2014]
    assert VALIDATORS["timeline"].is_valid(data)


# ---------------------------------------------------------------------------
# Invalid samples: the schema and `briefing check` both reject them

DELETE = object()
A, S, T = "content/articles/leaders-meet.md", "content/site.yaml", "content/timeline.yaml"
L = "content/leaders/anna-berg.yaml"


def mutated(rel: str, where: tuple, key, value) -> dict:
    """The full project with one change in `rel`: at the mapping or list reached by `where`, set `key` to
    `value` (DELETE removes it); a `key` of None replaces the file's data."""
    project = full_project()
    target = project[rel][0] if isinstance(project[rel], tuple) else project[rel]
    if key is None:
        project[rel] = value
        return project
    for step in where:
        target = target[step]
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return project


INVALID = [
    # (case id, file, where, key, value)
    ("site-no-title", S, (), "title", DELETE),
    ("site-title-list", S, (), "title", ["a", "b"]),
    ("site-title-true", S, (), "title", True),
    ("site-bad-language", S, (), "language", "english language"),
    ("site-bad-base-url", S, (), "base_url", "ftp://example.org/"),
    ("site-protocol-relative-base-url", S, (), "base_url", "//example.org/"),
    ("site-bad-topic-id", S, ("topics",), "Aid Topic", {"title": "Aid"}),
    ("site-topic-no-title", S, ("topics", "ceasefire"), "title", DELETE),
    ("site-topic-not-mapping", S, ("topics",), "aid", ["Military aid"]),
    ("site-topics-list", S, (), "topics", ["ceasefire", "aid"]),
    ("site-raw-html-not-bool", S, (), "allow_raw_html", "sometimes"),
    ("site-is-a-list", S, (), None, ["title", "Test briefing"]),
    ("leader-no-name", L, (), "name", DELETE),
    ("leader-no-role", L, (), "role", DELETE),
    ("leader-empty-role", L, (), "role", " "),
    ("leader-name-list", L, (), "name", ["Anna", "Berg"]),
    ("leader-bad-kind", L, (), "kind", "robot"),
    ("leader-wikidata-number", L, (), "wikidata", 12345),
    ("leader-wikidata-lower-case", L, (), "wikidata", "q42"),
    ("leader-wikidata-leading-zero", L, (), "wikidata", "Q042"),
    ("leader-aliases-mapping", L, (), "aliases", {"a": "b"}),
    ("leader-alias-empty", L, (), "aliases", ["Berg", ""]),
    ("article-no-title", A, (), "title", DELETE),
    ("article-title-list", A, (), "title", ["Leaders", "meet"]),
    ("article-no-published", A, (), "published", DELETE),
    ("article-published-in-words", A, (), "published", "19 March 2025"),
    ("article-published-interval", A, (), "published", "2025-03-18/2025-03-19"),
    ("article-no-source", A, (), "source", DELETE),
    ("article-source-text", A, (), "source", "Daily Test"),
    ("article-source-no-outlet", A, ("source",), "outlet", DELETE),
    ("article-javascript-url", A, ("source",), "url", "javascript:alert(1)"),
    ("article-ftp-url", A, ("source",), "url", "ftp://example.org/x"),
    ("article-via-no-outlet", A, ("source", "via"), "outlet", DELETE),
    ("article-via-mailto-url", A, ("source", "via"), "url", "mailto:desk@example.org"),
    ("article-bad-language", A, (), "language", "english"),
    ("article-too-many-points", A, (), "summary", [f"Point {n}." for n in range(8)]),
    ("article-no-points", A, (), "summary", []),
    ("article-events-text", A, (), "events", "soon"),
    ("event-not-mapping", A, ("events",), 0, "Berg and Vik meet"),
    ("event-no-when", A, ("events", 0), "when", DELETE),
    ("event-no-what", A, ("events", 0), "what", DELETE),
    ("event-what-list", A, ("events", 0), "what", ["meet"]),
    ("event-bad-id", A, ("events", 0), "id", "The Meeting"),
    ("event-who-bad-id", A, ("events", 0), "who", ["Anna Berg"]),
    ("event-topic-bad-id", A, ("events", 0), "topics", ["Cease_fire"]),
    ("event-when-in-words", A, ("events", 0), "when", "March 2025"),
    ("event-when-one-digit-month", A, ("events", 0), "when", "2025-3-18"),
    ("event-when-two-qualifiers", A, ("events", 0), "when", "2018??"),
    ("event-when-no-season-25", A, ("events", 0), "when", "2025-25"),
    ("event-when-month-13", A, ("events", 0), "when", "2025-13"),
    ("event-when-hour-25", A, ("events", 0), "when", "2025-03-18T25:00"),
    ("event-when-open-both-ends", A, ("events", 0), "when", "../.."),
    ("event-when-lower-case-x", A, ("events", 0), "when", "201x"),
    ("event-when-short-year", A, ("events", 0), "when", 800),
    ("event-when-true", A, ("events", 0), "when", True),
    ("event-when-list", A, ("events", 0), "when", ["2025", "2026"]),
    ("quote-no-who", A, ("quotes", 0), "who", DELETE),
    ("quote-no-text", A, ("quotes", 0), "text", DELETE),
    ("quote-bad-when", A, ("quotes", 0), "when", "last week"),
    ("stance-bad-value", A, ("stances", 0), "stance", "maybe"),
    ("stance-capitalised", A, ("stances", 0), "stance", "Supports"),
    ("stance-no-stance", A, ("stances", 0), "stance", DELETE),
    ("stance-no-topic", A, ("stances", 0), "topic", DELETE),
    ("stance-bad-when", A, ("stances", 0), "when", "2025-02-30T10"),
    ("timeline-not-list", T, (), None, {"when": 2025, "what": "x", "source": {"outlet": "y"}}),
    ("timeline-no-source", T, (0,), "source", DELETE),
    ("timeline-no-what", T, (0,), "what", DELETE),
    ("timeline-source-no-outlet", T, (0, "source"), "outlet", DELETE),
    ("timeline-bad-url", T, (0, "source"), "url", "www.example.org/invasion"),
    ("timeline-bad-id", T, (0,), "id", "full scale invasion"),
    ("timeline-bad-when", T, (0,), "when", "spring 2025"),
]


@pytest.mark.parametrize("rel, where, key, value", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_samples_are_rejected_by_schema_and_check(tmp_path, rel, where, key, value):
    files = render(mutated(rel, where, key, value))
    assert schema_errors(rel, files[rel]), f"the {schema_for(rel)} schema accepts:\n{files[rel]}"
    report = checked(tmp_path, files)
    assert [d for d in report.errors if d.path == rel], \
        "briefing check finds no error in %s:\n%s" % (rel, "\n".join(d.format() for d in report.diagnostics))


# ---------------------------------------------------------------------------
# Keys: the schemas list exactly the keys the validator knows, and require the same ones


def _locations() -> list[tuple[str, str, tuple, tuple, tuple]]:
    """(name, file, path into the schema, path into the full project's data, the validator's keys)."""
    topic = ("properties", "topics", "additionalProperties", "anyOf", 1)
    art_source = ("properties", "source")
    tl_source = ("items", "properties", "source")
    return [
        ("site", S, (), (), settings_module.SITE_KEYS),
        ("topic", S, topic, ("topics", "ceasefire"), settings_module.TOPIC_KEYS),
        ("leader", L, (), (), settings_module.LEADER_KEYS),
        ("timeline entry", T, ("items",), (0,), settings_module.TIMELINE_KEYS),
        ("timeline source", T, tl_source, (0, "source"), settings_module.SOURCE_KEYS),
        ("timeline via", T, (*tl_source, "properties", "via"), (0, "source", "via"), settings_module.VIA_KEYS),
        ("article", A, (), (), article_module.ARTICLE_KEYS),
        ("article source", A, art_source, ("source",), settings_module.SOURCE_KEYS),
        ("article via", A, (*art_source, "properties", "via"), ("source", "via"), settings_module.VIA_KEYS),
        ("event", A, ("properties", "events", "items"), ("events", 0), article_module.EVENT_KEYS),
        ("quote", A, ("properties", "quotes", "items"), ("quotes", 0), article_module.QUOTE_KEYS),
        ("stance", A, ("properties", "stances", "items"), ("stances", 0), article_module.STANCE_KEYS),
    ]


LOCATIONS = _locations()


def schema_node(rel: str, path: tuple) -> dict:
    node = SCHEMAS[schema_for(rel)]
    for step in path:
        node = node[step]
    return node


@pytest.mark.parametrize("name, rel, path, keys", [(n, r, p, k) for n, r, p, _, k in LOCATIONS],
                         ids=[loc[0] for loc in LOCATIONS])
def test_schema_properties_are_the_validators_keys(name, rel, path, keys):
    node = schema_node(rel, path)
    assert node.get("additionalProperties", True) is True, "unknown keys are warnings, not errors: leave them allowed"
    assert list(node["properties"]) == list(keys), f"{name}: schema and validator list different keys"


def test_the_full_project_sets_every_known_key():
    project = full_project()
    for name, rel, _, where, keys in LOCATIONS:
        data = project[rel][0] if isinstance(project[rel], tuple) else project[rel]
        for step in where:
            data = data[step]
        assert set(data) == set(keys), f"{name}: the full project should set every key"


REMOVALS = [(name, rel, path, where, key) for name, rel, path, where, keys in LOCATIONS for key in keys]


@pytest.mark.parametrize("name, rel, path, where, key", REMOVALS, ids=[f"{r[0]}-{r[4]}" for r in REMOVALS])
def test_a_key_is_required_by_the_schema_exactly_when_check_requires_it(tmp_path, name, rel, path, where, key):
    required = key in schema_node(rel, path).get("required", ())
    files = render(mutated(rel, where, key, DELETE))
    assert bool(schema_errors(rel, files[rel])) == required
    report = checked(tmp_path, files)
    missing = [d for d in report.errors if d.path == rel and f"missing the required key '{key}'" in d.message]
    assert bool(missing) == required, [d.format() for d in report.diagnostics]


def test_both_copies_of_source_are_the_same():
    article_source = schema_node(A, ("properties", "source"))
    timeline_source = schema_node(T, ("items", "properties", "source"))
    for field in ("type", "required", "properties"):
        assert article_source[field] == timeline_source[field], field


def test_event_fields_shared_by_articles_and_timeline_are_the_same():
    article_event = schema_node(A, ("properties", "events", "items", "properties"))
    timeline_event = schema_node(T, ("items", "properties"))
    for key in ("when", "what", "who", "topics", "note"):
        assert article_event[key] == timeline_event[key], key


def test_stance_values_and_kinds_are_the_validators():
    from generator.model import STANCE_VALUES

    stance = schema_node(A, ("properties", "stances", "items", "properties", "stance"))
    assert stance["enum"] == list(STANCE_VALUES)
    kind = schema_node(L, ("properties", "kind"))
    assert [k for k in kind["enum"] if k is not None] == ["person", "organization", "organisation"]


# ---------------------------------------------------------------------------
# Patterns agree with the validator's own rules


def test_patterns_are_the_validators_patterns():
    assert schema_node(L, ("properties", "wikidata"))["pattern"] == "^Q[1-9][0-9]*$"
    assert schema_node(A, ("properties", "events", "items", "properties", "id"))["pattern"] == "^" + ID.pattern
    assert schema_node(S, ("properties", "topics", "propertyNames"))["pattern"] == "^" + ID.pattern
    for rel in (S, A):
        assert schema_node(rel, ("properties", "language"))["pattern"] == "^" + settings_module.LANGUAGE.pattern


EDTF = re.compile(SCHEMAS["timeline"]["items"]["properties"]["when"]["pattern"])
TIMESTAMP = re.compile(SCHEMAS["article"]["properties"]["published"]["pattern"])
ID_RE = re.compile(SCHEMAS["article"]["properties"]["events"]["items"]["properties"]["id"]["pattern"])


def edtf_accepts(text: str) -> bool:
    try:
        parse_edtf(text)
    except DateError:
        return False
    return True


@pytest.mark.parametrize("text", [w for w in EDTF_FORMS if isinstance(w, str)])
def test_every_listed_edtf_form_matches_the_pattern(text):
    assert edtf_accepts(text) and EDTF.fullmatch(text)


@pytest.mark.parametrize("text", ["March 2025", "2025-3-18", "18.03.2025", "2025/03/18", "2018??", "?2018", "2025-25",
                                  "2025-13", "2025-00", "2025-03-32", "2025-03-18T25:00", "2025-03-18T14:00?", "2XXX",
                                  "201x", "../..", "/", "2025-03-18/2025-04-17/2025-05-01", "2025-03-18 14:00",
                                  "[2025, 2026]", "2025-21-01", "201X-03", "-0100", "Y170000002", "25", ""])
def test_edtf_shapes_the_validator_rejects_are_rejected_by_the_pattern(text):
    assert not edtf_accepts(text) and not EDTF.fullmatch(text)


_POINTS = [
    r"[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}(:[0-9]{2})?)?)?)?)?[?~%]?",
    r"[0-9]{2}[0-9X]{2}(-(XX|[0-9]{2})(-(XX|[0-9]{2}))?)?[?~%]?",
    r"20[0-9]{2}-(0[1-9]|1[0-2]|2[0-5])(-(0[1-9]|[1-3][0-9]))?(T(1[0-9]|2[0-5]):[0-6][0-9](:[0-6][0-9])?)?[?~%]?",
]


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    *(st.from_regex(rf"\A{p}\Z") for p in _POINTS),
    *(st.from_regex(rf"\A({p}|\.\.)?/({p}|\.\.)?\Z") for p in _POINTS),
))
def test_the_edtf_pattern_never_rejects_a_date_the_validator_accepts(text):
    if edtf_accepts(text):
        assert EDTF.fullmatch(text), text
    if not EDTF.fullmatch(text):
        assert not edtf_accepts(text), text


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,7})?)? ?"
                     r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?\Z"))
def test_the_timestamp_pattern_never_rejects_a_timestamp_the_validator_accepts(text):
    try:
        parse_timestamp(text)
    except DateError:
        return
    assert TIMESTAMP.fullmatch(text), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcxyz0129-_ .A/", min_size=0, max_size=70))
def test_the_id_pattern_is_the_validators(text):
    assert bool(ID_RE.fullmatch(text)) == bool(ID.match(text))


def test_a_year_written_as_a_number_is_a_date():
    when = SCHEMAS["timeline"]["items"]["properties"]["when"]
    validator = Draft202012Validator(when)
    for year in (1000, 2014, 9999):
        assert validator.is_valid(year) and edtf_accepts(str(year))
    assert not validator.is_valid(2025.5) and not validator.is_valid(True)


# ---------------------------------------------------------------------------
# The schemas themselves


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_each_schema_is_a_valid_draft_2020_12_schema_with_a_stable_id(name):
    schema = SCHEMAS[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://briefing.invalid/schemas/{name}.schema.json"
    assert schema["title"] and schema["description"] and schema["markdownDescription"]


# Keywords that mean the same under draft-07, which yaml-language-server and VS Code implement:
# no $defs/$ref, prefixItems, unevaluated*, dependentSchemas or $dynamicRef. markdownDescription and
# patternErrorMessage are the editors' own annotations; validators ignore them.
PORTABLE_KEYWORDS = {
    "$schema", "$id", "title", "description", "markdownDescription", "examples", "default", "type", "properties",
    "required", "additionalProperties", "propertyNames", "items", "minItems", "maxItems", "anyOf", "enum", "pattern",
    "patternErrorMessage", "minLength", "minimum", "maximum",
}


def _keywords(node, names: set):
    if isinstance(node, dict):
        for key, sub in node.items():
            if key in ("properties",):
                for prop in sub.values():
                    _keywords(prop, names)
                continue
            names.add(key)
            if key in ("examples", "default", "enum"):
                continue
            _keywords(sub, names)
    elif isinstance(node, list):
        for sub in node:
            _keywords(sub, names)
    return names


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_the_schemas_use_only_keywords_editors_understand(name):
    assert _keywords(SCHEMAS[name], set()) <= PORTABLE_KEYWORDS


def test_draft_7_validators_give_the_same_answers():
    from jsonschema import Draft7Validator

    for _, rel, text in valid_corpus():
        data = read_data(rel, text)
        assert Draft7Validator(SCHEMAS[schema_for(rel)]).is_valid(data), rel
    for _, rel, where, key, value in INVALID:
        data = read_data(rel, render(mutated(rel, where, key, value))[rel])
        assert not Draft7Validator(SCHEMAS[schema_for(rel)]).is_valid(data), (rel, where, key)


def _properties(node, path=""):
    """Every (path, schema) of a named property, however deeply nested."""
    if isinstance(node, dict):
        for key, sub in node.get("properties", {}).items():
            yield f"{path}/{key}", sub
        for key, sub in node.items():
            yield from _properties(sub, f"{path}/{key}" if key != "properties" else path)
    elif isinstance(node, list):
        for n, sub in enumerate(node):
            yield from _properties(sub, f"{path}/{n}")


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_property_has_help_for_editors(name):
    found = list(_properties(SCHEMAS[name]))
    assert found
    for path, prop in found:
        for field in ("title", "description", "markdownDescription", "examples"):
            assert prop.get(field), f"{name}{path} has no {field}"
        assert "`" not in prop["description"], f"{name}{path}: plain description holds Markdown"
        assert prop["description"] == prop["markdownDescription"].replace("`", "").replace("**", "") or "](" in \
            prop["markdownDescription"], f"{name}{path}: description and markdownDescription say different things"
        validator = Draft202012Validator(prop)
        for example in prop["examples"]:
            assert validator.is_valid(example), f"{name}{path}: example {example!r} does not pass its own schema"


def _patterned(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node
        for key, sub in node.items():
            if key not in ("examples", "default", "enum"):
                yield from _patterned(sub)
    elif isinstance(node, list):
        for sub in node:
            yield from _patterned(sub)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_pattern_has_a_readable_message(name):
    nodes = list(_patterned(SCHEMAS[name]))
    assert nodes
    for node in nodes:
        assert node.get("patternErrorMessage"), node["pattern"]


def test_the_schemas_ship_in_the_package():
    shipped = {p.name for p in resources.files("generator.schemas").iterdir()}
    assert {f"{name}.schema.json" for name in SCHEMA_NAMES} <= shipped


def _doc_examples() -> dict[str, str]:
    """The example files in docs/format.md, by the path they would have in a project."""
    text = (REPO / "docs" / "format.md").read_text(encoding="utf-8")
    found = {}
    for lang, block in re.findall(r"^```(yaml|markdown)\n(.*?)^```", text, re.M | re.S):
        if lang == "markdown":
            found["content/articles/energy-pause.md"] = block
        elif block.startswith("title:"):
            found["content/site.yaml"] = block
        elif block.startswith("name:"):
            found["content/leaders/volodymyr-zelenskyy.yaml"] = block
        elif block.startswith("- "):
            found["content/timeline.yaml"] = block
    return found


def test_the_examples_in_the_format_reference_check_clean_and_pass_the_schemas(tmp_path):
    examples = _doc_examples()
    assert len(examples) == 4, sorted(examples)
    files = {**examples,
             "content/leaders/vladimir-putin.yaml": "name: Vladimir Putin\nrole: President of Russia\n",
             "content/leaders/kremlin.yaml": "name: The Kremlin\naliases: [Kremlin]\nrole: Presidency\nkind: organization\n"}
    report = checked(tmp_path, files)
    assert report.diagnostics == [], [d.format() for d in report.diagnostics]
    for rel, text in examples.items():
        assert schema_errors(rel, text) == [], rel


def test_the_format_reference_has_a_row_for_every_key():
    reference = (REPO / "docs" / "format.md").read_text(encoding="utf-8")
    for name, _, _, _, keys in LOCATIONS:
        for key in keys:
            assert f"| `{key}` |" in reference, f"docs/format.md has no table row for the {name} key '{key}'"


EDITORS = REPO / "docs" / "editors.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^ *```{lang}\n(.*?)^ *```", EDITORS.read_text(encoding="utf-8"), re.M | re.S)


def test_docs_name_every_schema():
    editors = EDITORS.read_text(encoding="utf-8")
    for name in SCHEMA_NAMES:
        assert f"{name}.schema.json" in editors


def test_the_modelines_in_the_editor_guide_point_at_the_right_schema(tmp_path):
    """Each example names its file in a comment; its relative $schema path, resolved from that file's
    folder in a project with the schemas copied to schemas/, is the schema for that file."""
    examples = [b for b in _blocks("yaml") if b.startswith("# content/")]
    assert len(examples) >= 3
    for block in examples:
        rel = re.match(r"# (content/\S+)", block).group(1)
        target = re.search(r"\$schema=(\S+)", block).group(1)
        resolved = (tmp_path / rel).parent.joinpath(target).resolve()
        assert resolved == (tmp_path / "schemas" / f"{schema_for(rel)}.schema.json").resolve(), block
        assert schema_errors(rel, block) == [], block


def test_the_vscode_settings_in_the_editor_guide_map_every_content_file():
    settings_blocks = [json.loads(b) for b in _blocks("json") if "yaml.schemas" in b]
    assert len(settings_blocks) == 1
    mapping = settings_blocks[0]["yaml.schemas"]
    for schema_path, globs in mapping.items():
        name = Path(schema_path).name.removesuffix(".schema.json")
        assert name in SCHEMA_NAMES and schema_path == f"./schemas/{name}.schema.json"
        for pattern in globs:
            assert schema_for(pattern.replace("*", "x")) == name, pattern
    tasks = [json.loads(b) for b in _blocks("json") if '"tasks"' in b]
    assert len(tasks) == 1
    regexp = re.compile(tasks[0]["tasks"][0]["problemMatcher"]["pattern"]["regexp"])
    line = "content/leaders/kremlin.yaml:9:11: error: '133274' is not a Wikidata id — Wikidata ids look like Q3874799"
    assert regexp.match(line).groups()[:4] == ("content/leaders/kremlin.yaml", "9", "11", "error")


def test_the_front_matter_script_in_the_editor_guide_passes_the_bundled_demo(tmp_path):
    import subprocess
    import sys

    scripts = _blocks("python")
    assert len(scripts) == 1
    script = tmp_path / "front_matter.py"
    script.write_text(scripts[0], encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
