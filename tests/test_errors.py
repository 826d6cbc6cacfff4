"""Every rule of the content contract, broken one at a time: the error names the file, the line and the problem.

Each case is a small project (the valid one from helpers, with one file
changed) and the diagnostic it must produce. The CLI test at the bottom runs
them all through `briefing check` as a user would.
"""

from __future__ import annotations

import pytest

from helpers import ARTICLE, SITE, checked, project_files, run_cli, write_project

A = "content/articles/leaders-meet.md"
L = "content/leaders/anna-berg.yaml"
S = "content/site.yaml"
T = "content/timeline.yaml"


def article(old: str, new: str) -> dict:
    assert old in ARTICLE, old
    return {A: ARTICLE.replace(old, new, 1)}


def site(old: str, new: str) -> dict:
    assert old in SITE, old
    return {S: SITE.replace(old, new, 1)}


TIMELINE_OK = "- when: 2022-02-24\n  what: The invasion\n  who: [jonas-vik]\n  source: {outlet: Reuters}\n"

# (case id, changed files, path, line, words the message must hold, severity)
CASES = [
    ("yaml-syntax", {L: "name: Anna Berg\nrole: [Prime Minister\n"}, L, 3, "invalid YAML", "error"),
    ("yaml-syntax-front-matter", article("title: Leaders meet", "title: Leaders: meet: now"), A, 2, "invalid YAML", "error"),
    ("no-front-matter", {A: "Just a body.\n"}, A, 1, "no front matter", "error"),
    ("unterminated-front-matter", {A: "---\ntitle: x\npublished: 2025-03-19\n"}, A, 1, "never closed", "error"),
    ("front-matter-is-list", {A: "---\n- a\n- b\n---\nbody\n"}, A, 2, "must be a mapping", "error"),
    ("site-missing", {S: None}, S, 1, "missing", "error"),
    ("site-no-title", site("title: Test briefing\n", ""), S, 1, "required key 'title'", "error"),
    ("site-title-list", site("title: Test briefing", "title: [a, b]"), S, 1, "'title' must be text", "error"),
    ("site-bad-timezone", site("Europe/Berlin", "Europe/Berlinn"), S, 3, "unknown time zone", "error"),
    ("site-bad-language", site("timezone:", "language: english language\ntimezone:"), S, 3, "BCP 47", "error"),
    ("site-bad-base-url", site("timezone:", "base_url: ftp://x\ntimezone:"), S, 3, "base_url", "error"),
    ("site-bad-cname", site("timezone:", "cname: https://news.example.org/\ntimezone:"), S, 3, "bare domain name",
     "error"),
    ("site-bad-topic-id", site("  aid:", "  Aid Topic:"), S, 7, "bad topic id", "error"),
    ("site-topic-no-title", site("    title: Military aid", "    titel: Military aid"), S, 8, "required key 'title'", "error"),
    ("site-unknown-key", site("timezone:", "titel: x\ntimezone:"), S, 3, "did you mean 'title'", "warning"),
    ("leader-no-name", {L: "role: Prime Minister\n"}, L, 1, "required key 'name'", "error"),
    ("leader-no-role", {L: "name: Anna Berg\n"}, L, 1, "required key 'role'", "error"),
    ("leader-bad-kind", {L: "name: Anna Berg\nrole: PM\nkind: robot\n"}, L, 3, "'kind' must be one of", "error"),
    ("leader-bad-wikidata", {L: "name: Anna Berg\nrole: PM\nwikidata: 12345\n"}, L, 3, "not a Wikidata id", "error"),
    ("leader-aliases-mapping", {L: "name: Anna Berg\nrole: PM\naliases: {a: b}\n"}, L, 3, "must be a list", "error"),
    ("leader-bad-file-name", {"content/leaders/Anna Berg.yaml": "name: A\nrole: B\n"}, "content/leaders/Anna Berg.yaml", 1,
     "not a valid id", "error"),
    ("leader-dotted-name", {"content/leaders/a..b.yaml": "name: A\nrole: B\n"}, "content/leaders/a..b.yaml", 1,
     "not a valid id", "error"),
    ("leader-shared-alias", {"content/leaders/jonas-vik.yaml": "name: Jonas Vik\naliases: [Berg]\nrole: P\n"},
     "content/leaders/jonas-vik.yaml", 1, "also a name of leader", "error"),
    ("leader-unknown-key", {L: "name: Anna Berg\nrole: PM\nalias: [Berg]\n"}, L, 3, "did you mean 'aliases'", "warning"),
    ("article-no-title", article("title: Leaders meet\n", ""), A, 2, "required key 'title'", "error"),
    ("article-no-published", article("published: 2025-03-19\n", ""), A, 2, "required key 'published'", "error"),
    ("article-bad-published", article("published: 2025-03-19", "published: 19 March 2025"), A, 3, "not a valid", "error"),
    ("article-no-source", article("source:\n  outlet: Daily Test\n  agencies: [AFP]\n  url: https://example.org/leaders-meet\n", ""),
     A, 2, "required key 'source'", "error"),
    ("article-source-no-outlet", article("  outlet: Daily Test\n", ""), A, 5, "required key 'outlet'", "error"),
    ("article-javascript-url", article("https://example.org/leaders-meet", "javascript:alert(1)"), A, 7, "http or https", "error"),
    ("article-too-many-points", article("  - Berg and Vik met.\n", "".join(f"  - Point {i}.\n" for i in range(8))),
     A, 9, "give 1 to 7", "error"),
    ("article-unknown-key", article("summary:", "evnets: []\nsummary:"), A, 8, "did you mean 'events'", "warning"),
    ("article-bad-file-name", {"content/articles/Leaders_Meet.md": ARTICLE}, "content/articles/Leaders_Meet.md", 1,
     "not a valid id", "error"),
    ("event-no-when", article("    when: 2025-03-18\n", ""), A, 11, "required key 'when'", "error"),
    ("event-no-what", article("    what: Berg and Vik meet\n", ""), A, 11, "required key 'what'", "error"),
    ("event-impossible-date", article("when: 2025-03-18", "when: 2025-02-30"), A, 12, "28 days", "error"),
    ("event-interval-backwards", article("when: 2025-03-18", "when: 2025-03-18/2025-03-01"), A, 12, "ends", "error"),
    ("event-not-edtf", article("when: 2025-03-18", "when: March 2025"), A, 12, "not a valid date", "error"),
    ("event-unknown-leader", article("who: [anna-berg, jonas-vik]", "who: [anna-berg, vik]"), A, 14, "did you mean 'jonas-vik'", "error"),
    ("event-unknown-topic", article("topics: [ceasefire]", "topics: [cease-fire]"), A, 15, "unknown topic 'cease-fire'", "error"),
    ("event-bad-id", article("id: meeting", "id: The Meeting"), A, 11, "bad event id", "error"),
    ("event-duplicate-id", article("quotes:", "  - id: meeting\n    when: 2025\n    what: Again\nquotes:"), A, 17,
     "duplicate event id", "error"),
    ("event-anchor-missing", article("anchor: met in the capital", "anchor: met in the city"), A, 16,
     "anchor not found", "error"),
    ("event-anchor-part-of-word", article("anchor: met in the capital", "anchor: met in the capita"), A, 16,
     "anchor not found", "error"),
    ("event-anchor-two-paragraphs", article("anchor: met in the capital", "anchor: on Tuesday. Berg called"), A, 16,
     "anchor not found", "error"),
    ("event-unknown-key", article("    anchor: met", "    notes: x\n    anchor: met"), A, 16, "did you mean 'note'", "warning"),
    ("events-not-list", article("events:\n", "events: soon\nold_events:\n"), A, 10, "'events' must be a list", "error"),
    ("quote-misquoted", article("text: a good first step", "text: a great first step"), A, 19, "quote not found", "error"),
    ("quote-unknown-leader", article("  - who: anna-berg\n    text", "  - who: ana-berg\n    text"), A, 18,
     "unknown leader 'ana-berg'", "error"),
    ("quote-no-text", article("    text: a good first step\n", ""), A, 18, "required key 'text'", "error"),
    ("stance-bad-value", article("stance: conditional", "stance: maybe"), A, 23, "supports, opposes", "error"),
    ("stance-unknown-topic", article("topic: ceasefire", "topic: peace"), A, 22, "unknown topic 'peace'", "error"),
    ("stance-anchor-missing", article("anchor: only if aid stops", "anchor: only when aid stops"), A, 25,
     "anchor not found", "error"),
    ("yaml-python-tag", article("title: Leaders meet", "title: !!python/object/apply:os.system [echo hi]"), A, 2,
     "tag '!!python/object/apply:os.system' is not allowed", "error"),
    ("yaml-alias-bomb", {L: "name: Anna Berg\nrole: PM\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" +
                         "".join(f"a{i}: &a{i} [{', '.join([f'*a{i-1}'] * 10)}]\n" for i in range(1, 7))},
     L, 3, "alias bomb", "error"),
    ("yaml-recursive-alias", {L: "name: Anna Berg\nrole: PM\naliases: &x [*x]\n"}, L, 3, "contains it", "error"),
    ("yaml-duplicate-key", {L: "name: Anna Berg\nrole: PM\nname: Other\n"}, L, 3, "duplicate key 'name'", "error"),
    ("timeline-not-list", {T: "when: 2025\n"}, T, 1, "must be a list", "error"),
    ("timeline-no-source", {T: "- when: 2025\n  what: Something\n"}, T, 1, "required key 'source'", "error"),
    ("timeline-bad-date", {T: TIMELINE_OK.replace("2022-02-24", "2022-02-29")}, T, 1, "28 days", "error"),
    ("timeline-unknown-leader", {T: TIMELINE_OK.replace("jonas-vik", "putin")}, T, 3, "unknown leader", "error"),
]


@pytest.mark.parametrize("files, path, line, words, severity", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_broken_rule_is_reported_where_it_was_written(tmp_path, files, path, line, words, severity):
    report = checked(tmp_path, project_files(**{k.replace("/", "__"): v for k, v in files.items()}))
    found = [d for d in report.diagnostics if d.path == path and words in d.message + " — " + (d.hint or "")]
    assert found, "expected a diagnostic with %r in %s; got:\n%s" % (words, path, "\n".join(d.format() for d in report.diagnostics))
    assert any(max(d.line, 1) == line and d.severity == severity for d in found), [d.format() for d in found]


def test_a_valid_project_has_no_diagnostics(tmp_path):
    assert checked(tmp_path, project_files()).diagnostics == []


def test_ten_mistakes_give_ten_errors_in_one_run(tmp_path):
    """The issue's "done when": ten different mistakes, ten located errors, exit 1, no traceback."""
    text = ARTICLE
    for old, new in [("when: 2025-03-18", "when: 2025-02-30"), ("who: [anna-berg, jonas-vik]", "who: [anna-berg, vik]"),
                     ("topics: [ceasefire]", "topics: [peace]"), ("anchor: met in the capital", "anchor: met in Rome"),
                     ("text: a good first step", "text: a bad first step"), ("stance: conditional", "stance: maybe"),
                     ("https://example.org/leaders-meet", "javascript:x")]:
        text = text.replace(old, new, 1)
    files = project_files(**{
        "content__articles__leaders-meet.md": text,
        "content__leaders__anna-berg.yaml": "role: PM\n",
        "content__site.yaml": SITE.replace("Europe/Berlin", "Mars/Olympus"),
        "content__timeline.yaml": "- when: 2025\n  what: x\n",
    })
    write_project(tmp_path, files)
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 10, result.stderr
    for line in errors:
        path, line_no, col, _ = line.split(":", 3)
        assert path.startswith("content/") and int(line_no) >= 1 and int(col) >= 1


def test_warnings_fail_only_under_strict(tmp_path):
    write_project(tmp_path, project_files(**{"content__site.yaml": SITE + "titel: typo\n"}))
    relaxed = run_cli("check", str(tmp_path))
    strict = run_cli("check", "--strict", str(tmp_path))
    assert relaxed.returncode == 0 and "did you mean 'title'" in relaxed.stderr
    assert strict.returncode == 1 and "warning" in strict.stderr


def test_sources_disagreeing_on_a_merged_event_is_a_warning(tmp_path):
    second = ARTICLE.replace("published: 2025-03-19", "published: 2025-03-20").replace(
        "when: 2025-03-18", "when: 2025-03-17")
    report = checked(tmp_path, project_files(**{"content__articles__follow-up.md": second}))
    warnings = [d for d in report.warnings if "disagree on the when of event 'meeting'" in d.message]
    assert warnings and warnings[0].path == "content/articles/follow-up.md" and warnings[0].line == 11
    assert not report.errors
