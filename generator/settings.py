"""Parse the briefing's own files: site.yaml, the leaders and timeline.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Report
from .fields import Fields, id_problem
from .model import Citation, Leader, Source, Topic
from .sources import SourceFile
from .urls import clean_base_url
from .yamlsrc import Mark, YAMLProblem, YList, YMap, load

SITE_KEYS = ("title", "description", "language", "timezone", "base_url", "topics", "cname", "allow_raw_html")
TOPIC_KEYS = ("title", "description")
LEADER_KEYS = ("name", "aliases", "role", "country", "kind", "wikidata")
TIMELINE_KEYS = ("when", "what", "who", "topics", "id", "source", "note")
SOURCE_KEYS = ("outlet", "agencies", "url", "via")
VIA_KEYS = ("outlet", "url")
LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$")
HOST = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


@dataclass(frozen=True)
class Settings:
    title: str
    description: str
    language: str
    timezone: str
    tz: tzinfo
    base_url: str
    topics: tuple[Topic, ...]
    extras: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class Reported:
    """An event as one file reports it, with where it was written (for merge warnings)."""

    id: str
    explicit_id: bool
    when: object  # EDTF
    what: str
    who: tuple[str, ...]
    topics: tuple[str, ...]
    citation: Citation
    note: str | None
    path: str
    mark: Mark
    published: object  # datetime of the reporting article, None for timeline.yaml
    anchor: tuple[str, Mark] | None = None


UNREADABLE = object()  # what load_yaml gives for text that is not YAML, after reporting why


def load_yaml(file: SourceFile, report: Report, line_offset: int = 0, text: str | None = None):
    """The YAML of `file` (or of `text`, a part of it starting `line_offset` lines in)."""
    problems: list[YAMLProblem] = []
    try:
        value = load(file.text if text is None else text, line_offset, problems)
    except YAMLProblem as problem:
        problems, value = [problem], UNREADABLE
    for problem in problems:
        report.error(file.path, problem.mark.line, problem.mark.col, problem.message)
    return value


def expect_mapping(value, file: SourceFile, report: Report, what: str, line: int = 1) -> YMap | None:
    if isinstance(value, YMap):
        return value
    if value is UNREADABLE:
        return None
    mark = getattr(value, "mark", Mark(line, 1))
    found = "empty" if value is None else f"a {'list' if isinstance(value, YList) else 'single value'}"
    report.error(file.path, mark.line, mark.col, f"{what} must be a mapping of keys to values, but it is {found}")
    return None


def parse_site(file: SourceFile | None, report: Report) -> Settings | None:
    if file is None:
        return None
    data = expect_mapping(load_yaml(file, report), file, report, "site.yaml")
    if data is None:
        return None
    f = Fields(data, file.path, report, SITE_KEYS, "site.yaml")
    title = f.text("title", required=True)
    language = f.text("language", default="en")
    if not LANGUAGE.match(language):
        f.error(f.value_mark("language"), f"'{language}' is not a BCP 47 language tag", "for example en, de or pt-BR")
    tz_name = f.text("timezone", default="UTC")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        f.error(f.value_mark("timezone"), f"unknown time zone '{tz_name}'", "use an IANA name such as Europe/Berlin or UTC")
        tz, tz_name = ZoneInfo("UTC"), "UTC"
    base_url = normalise_base_url(f.text("base_url", default="/"), f)
    topics = []
    for topic_id, value in (f.mapping("topics") or {}).items():
        mark = data["topics"].key_mark(topic_id)
        problem = id_problem(topic_id)
        if problem:
            report.error(file.path, mark.line, mark.col, f"bad topic id: {problem}")
            continue
        if isinstance(value, str):  # `energy-truce: A pause on strikes` is a fine shorthand
            topics.append(Topic(topic_id, value.strip(), ""))
            continue
        if not isinstance(value, YMap):
            report.error(file.path, mark.line, mark.col, f"topic '{topic_id}' must be a mapping with a title")
            continue
        tf = Fields(value, file.path, report, TOPIC_KEYS, f"topic '{topic_id}'")
        topics.append(Topic(topic_id, tf.text("title", required=True) or topic_id, tf.text("description", default="")))
    extras = []
    if f.has("cname"):
        cname = f.text("cname")
        if cname is not None and not HOST.fullmatch(cname):
            f.error(f.value_mark("cname"), f"'cname' must be a bare domain name, not '{cname}'",
                    "write it like news.example.org (no https://, no path): briefing deploy writes it into "
                    "GitHub Pages' CNAME file")
        extras.append(("cname", cname))
    if f.has("allow_raw_html"):
        value = data["allow_raw_html"]
        if not isinstance(value, bool):
            f.error(f.value_mark("allow_raw_html"), "'allow_raw_html' must be true or false")
        else:
            extras.append(("allow_raw_html", value))
    if title is None:
        return None
    return Settings(title, f.text("description", default=""), language, tz_name, tz, base_url, tuple(topics), tuple(extras))


def normalise_base_url(value: str, f: Fields) -> str:
    normalised = clean_base_url(value)
    if normalised is None:
        f.error(f.value_mark("base_url"), f"'base_url' must be a path such as /briefing/ or an http(s) address, not '{value}'")
        return "/"
    return normalised


def parse_leader(file: SourceFile, report: Report) -> Leader | None:
    data = expect_mapping(load_yaml(file, report), file, report, "a leader file")
    if data is None:
        return None
    f = Fields(data, file.path, report, LEADER_KEYS, "a leader file")
    name, role = f.text("name", required=True), f.text("role", required=True)
    kind = f.choice("kind", ("person", "organization", "organisation"), default="person")
    wikidata = f.text("wikidata")
    if wikidata and not re.match(r"Q[1-9][0-9]*$", wikidata):
        f.error(f.value_mark("wikidata"), f"'{wikidata}' is not a Wikidata id", "Wikidata ids look like Q3874799")
        wikidata = None
    if name is None or role is None:
        return None
    aliases = tuple(dict.fromkeys(a for a in f.texts("aliases") if a != name))
    return Leader(file.stem, name, aliases, role, f.text("country", default=""),
                  "organization" if kind == "organisation" else kind, wikidata)


def check_names(leaders: list[Leader], files: dict[str, SourceFile], report: Report) -> dict[str, str]:
    """Every spelling that means a leader -> that leader's id; a spelling shared by two is an error."""
    names: dict[str, str] = {}
    for leader in leaders:
        for name in (leader.name, *leader.aliases):
            other = names.get(name)
            if other and other != leader.id:
                report.error(files[leader.id].path, 0, 0, f"the name '{name}' is also a name of leader '{other}': "
                             "a mention could not tell them apart")
            else:
                names[name] = leader.id
    return names


def parse_source(value, path: str, report: Report, mark: Mark, what: str) -> Source | None:
    if not isinstance(value, YMap):
        report.error(path, mark.line, mark.col, f"{what} must be a mapping with at least an 'outlet'")
        return None
    f = Fields(value, path, report, SOURCE_KEYS, what)
    outlet = f.text("outlet", required=True)
    via_outlet = via_url = None
    via = f.mapping("via")
    if via is not None:
        vf = Fields(via, path, report, VIA_KEYS, f"{what}'s 'via'")
        via_outlet, via_url = vf.text("outlet", required=True), vf.url("url")
    if outlet is None:
        return None
    return Source(outlet, f.url("url"), f.texts("agencies"), via_outlet, via_url)


def parse_timeline(file: SourceFile | None, settings: Settings, leader_ids, report: Report) -> list[Reported]:
    if file is None:
        return []
    data = load_yaml(file, report)
    if data is None or data is UNREADABLE:
        return []
    if not isinstance(data, YList):
        mark = getattr(data, "mark", Mark(1, 1))
        report.error(file.path, mark.line, mark.col, "timeline.yaml must be a list of events (each item starting with '- when:')")
        return []
    topic_ids = {t.id for t in settings.topics}
    out = []
    for n, (item, mark) in enumerate(zip(data, data.item_marks), start=1):
        if not isinstance(item, YMap):
            report.error(file.path, mark.line, mark.col, "each timeline entry must be a mapping with 'when', 'what' and 'source'")
            continue
        f = Fields(item, file.path, report, TIMELINE_KEYS, "a timeline entry")
        when = f.edtf("when", settings.tz, required=True)
        what = f.text("what", required=True)
        who, topics = f.refs("who", leader_ids, "leader"), f.refs("topics", topic_ids, "topic")
        event_id = event_id_of(f, f"timeline-{n}")
        source = parse_source(item["source"], file.path, report, f.value_mark("source"), "an event's 'source'") \
            if f.has("source") else f.missing("source")
        if when and what and source and event_id:
            out.append(Reported(event_id, f.has("id"), when, what, who, topics, Citation(source), f.text("note"),
                                file.path, f.key_mark("id") if f.has("id") else mark, None))
    return out


def event_id_of(f: Fields, fallback: str) -> str | None:
    event_id = f.text("id")
    if event_id is None:
        return fallback
    problem = id_problem(event_id)
    if problem:
        f.error(f.value_mark("id"), f"bad event id: {problem}")
        return None
    return event_id

