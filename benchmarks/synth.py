"""A deterministic synthetic briefing of N articles, written to the content contract, and a Hugo twin of it.

    python benchmarks/synth.py DIR --articles 1000 [--hugo HUGO_DIR]

Shaped like the bundled briefing's article: about 870 words in ten to twelve
paragraphs, 4–5 events (one in seven shared with an article three before it,
identically, so events merge without warnings), 3 quotes and 2 stances each;
40 leaders (36 people, 4 institutions; a few are in most stories, as in real
coverage), 8 topics, a short timeline.yaml. Article i is the same whatever N
is (its randomness is seeded by i), so the 1,000-article briefing is the first
thousand articles of the 10,000-article one.

The Hugo twin (`--hugo`) has the same Markdown bodies and titles, the leaders
an article mentions as `tags` (so Hugo makes a page per article and a page per
leader listing its articles), and layouts that show what ours show where Hugo
can: an article's body, key points and leaders; a leader's articles with
their key points; the home page and the article list with every article.
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

FIRST = ["Anna", "Jonas", "Maria", "Pavel", "Leila", "Tomas", "Ingrid", "Omar", "Sofia", "Viktor", "Hana", "Mateo",
         "Elena", "Karim", "Greta", "Ivan", "Noor", "Lukas", "Amara", "Felix", "Yara", "Dmitri", "Clara", "Rafael",
         "Selin", "Anton", "Mira", "Oskar", "Zainab", "Henrik", "Lucia", "Bogdan", "Astrid", "Tariq", "Vera", "Emil"]
LAST = ["Berg", "Vik", "Novak", "Haddad", "Lindqvist", "Okafor", "Kowalski", "Moreau", "Petrenko", "Sato", "Alvarez",
        "Dubois", "Jansen", "Rahimi", "Costa", "Nielsen", "Horvat", "Yilmaz", "Fischer", "Mensah", "Rossi", "Ivanova",
        "Bakker", "Kaur", "Santos", "Weber", "Tanaka", "Lund", "Markovic", "Amini", "Schulz", "Ortega", "Brandt",
        "Keller", "Varga", "Quist"]
COUNTRIES = ["Norland", "Sudland", "Ostmark", "Westria", "Caldonia", "Meridia", "Valtera", "Korvia"]
ROLES = ["President", "Prime Minister", "Foreign Minister", "Defence Minister", "Finance Minister",
         "Opposition leader", "Speaker of Parliament", "Chief negotiator", "Ambassador to the UN"]
INSTITUTIONS = [("northern-council", "the Northern Council", "the Council", "Regional alliance"),
                ("meridian-bank", "the Meridian Bank", "the Bank", "Development bank"),
                ("coastal-league", "the Coastal League", "the League", "Trade bloc"),
                ("peace-office", "the Joint Peace Office", "the Peace Office", "Mediation body")]
TOPICS = [("ceasefire", "A lasting ceasefire"), ("energy", "Energy supplies and prices"),
          ("aid", "Military and economic aid"), ("sanctions", "Sanctions and trade"),
          ("borders", "Borders and territory"), ("refugees", "Refugees and displaced people"),
          ("elections", "Elections and legitimacy"), ("reconstruction", "Reconstruction funding")]
OUTLETS = [("Daily Ledger", ["AFP"]), ("Morning Courier", ["Reuters"]), ("The Northern Post", []),
           ("Evening Standard Review", ["AP", "AFP"]), ("Harbour Times", ["Reuters"]), ("Capital Wire", [])]
STANCES = ["supports", "opposes", "conditional", "unclear"]

NOUNS = ["talks", "proposal", "agreement", "delegation", "ministry", "parliament", "budget", "pipeline", "harbour",
         "convoy", "border", "summit", "ceasefire", "coalition", "treaty", "sanction", "election", "reactor", "grid",
         "loan", "envoy", "committee", "region", "statement", "deadline", "vote", "referendum", "corridor", "market",
         "frontline", "inspection", "reserve", "capital", "province", "negotiation", "framework", "mandate"]
ADJECTIVES = ["new", "fragile", "lengthy", "urgent", "quiet", "public", "private", "regional", "joint", "final",
              "partial", "formal", "revised", "contested", "broad", "narrow", "early", "late", "open", "tense"]
VERBS = ["announced", "rejected", "welcomed", "questioned", "signed", "postponed", "criticised", "endorsed",
         "proposed", "delayed", "confirmed", "denied", "discussed", "outlined", "reviewed", "defended"]
FILLER = ["officials said", "according to people familiar with the matter", "diplomats noted",
          "analysts cautioned", "in a statement on Tuesday", "late on Sunday", "after weeks of pressure",
          "despite earlier objections", "as markets reacted", "while negotiators waited"]
PLACES = ["Eastport", "Valmora", "Northgate", "Kestrel Bay", "Old Harbour", "Redfield", "Lindau", "Sarvik"]


def leaders() -> list[dict]:
    out, used = [], set()
    for n in range(36):
        first, last = FIRST[n], LAST[n]
        leader_id = f"{first}-{last}".lower()
        aliases = [last]
        if n % 5 == 0:
            aliases.append(f"{first[0]}. {last}")
        out.append({"id": leader_id, "name": f"{first} {last}", "aliases": aliases,
                    "role": f"{ROLES[n % len(ROLES)]} of {COUNTRIES[n % len(COUNTRIES)]}",
                    "country": COUNTRIES[n % len(COUNTRIES)], "kind": "person",
                    "wikidata": f"Q{1000 + n}" if n % 3 == 0 else None})
        used.add(leader_id)
    for leader_id, name, alias, role in INSTITUTIONS:
        out.append({"id": leader_id, "name": name.replace("the ", "The ", 1),
                    "aliases": [name, alias], "role": role, "country": "", "kind": "organization", "wikidata": None})
    return out


LEADERS = leaders()


def _pick_leaders(rng: random.Random) -> list[dict]:
    """3 to 5 leaders, the first few leaders far more often than the rest (a story has principals)."""
    count = rng.randint(3, 5)
    chosen: list[dict] = []
    while len(chosen) < count:
        index = min(int(rng.paretovariate(1.1)) - 1, len(LEADERS) - 1) if rng.random() < 0.6 \
            else rng.randrange(len(LEADERS))
        if LEADERS[index] not in chosen:
            chosen.append(LEADERS[index])
    return chosen


def _sentence(rng: random.Random, words: int) -> str:
    parts = [rng.choice(["The", "A", "Another", "This"]), rng.choice(ADJECTIVES), rng.choice(NOUNS)]
    while len(parts) < words:
        roll = rng.random()
        if roll < 0.25:
            parts += [rng.choice(VERBS), "the", rng.choice(NOUNS)]
        elif roll < 0.4:
            parts += rng.choice(FILLER).split()
        elif roll < 0.55:
            parts += ["in", rng.choice(PLACES)]
        elif roll < 0.7:
            parts += ["and", "the", rng.choice(ADJECTIVES), rng.choice(NOUNS)]
        else:
            parts += [rng.choice(["over", "under", "near", "after", "before", "with"]), "the", rng.choice(NOUNS)]
    return " ".join(parts) + "."


def _date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


START = datetime(2019, 1, 1, 6, 0, tzinfo=timezone.utc)


def article(i: int) -> dict:
    """Article number i (0-based): front matter values, body paragraphs and the leaders it mentions."""
    rng = random.Random(f"briefing-synth-{i}")
    published = START + timedelta(hours=4 * i, minutes=rng.randrange(0, 240))
    cast = _pick_leaders(rng)
    outlet, agencies = OUTLETS[i % len(OUTLETS)]
    place = rng.choice(PLACES)
    paragraphs: list[str] = []

    # Opening paragraphs name the cast in full; later ones use aliases.
    for n, leader in enumerate(cast):
        paragraphs.append(f"{leader['name']} {rng.choice(VERBS)} the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} "
                          f"in {place} on {published.strftime('%A')}, {rng.choice(FILLER)}. "
                          + " ".join(_sentence(rng, rng.randint(10, 16)) for _ in range(3)))
        if n == 1:
            break

    events = []
    for n in range(rng.randint(4, 5)):
        who = [leader["id"] for leader in rng.sample(cast, rng.choice((1, 1, 2)))]
        day = published - timedelta(days=rng.randint(0, 3))
        roll = rng.random()
        if roll < 0.7:
            when = _date(day)
        elif roll < 0.8:
            when = day.strftime("%Y-%m")
        elif roll < 0.9:
            when = f"{_date(day)}/{_date(day + timedelta(days=rng.randint(5, 40)))}"
        else:
            when = _date(day) + "?"
        verb, noun, adjective = rng.choice(VERBS), rng.choice(NOUNS), rng.choice(ADJECTIVES)
        anchor = f"{verb} the {adjective} {noun} proposal number {n + 1}"
        actor = next(leader for leader in cast if leader["id"] == who[0])
        paragraphs.append(f"{actor['aliases'][0]} {anchor} after talks in {rng.choice(PLACES)}. "
                          + " ".join(_sentence(rng, rng.randint(10, 16)) for _ in range(rng.randint(3, 5))))
        events.append({"id": f"story-{i:05d}-event-{n + 1}", "when": when,
                       "what": f"{actor['name']} {verb} the {adjective} {noun} proposal",
                       "who": who, "topics": [t for t, _ in rng.sample(TOPICS, rng.choice((1, 2)))],
                       "anchor": anchor})
    if i >= 3 and i % 7 == 0:
        # Another outlet's account of an event an earlier article reported: same id, same facts.
        shared = dict(article(i - 3)["events"][0])
        shared_anchor = f"as first reported, {shared['anchor']}"
        paragraphs.append(f"Separately, and {shared_anchor}. " + _sentence(rng, 14))
        shared["anchor"] = shared_anchor
        events.append(shared)

    quotes = []
    for n in range(3):
        leader = rng.choice(cast)
        words = " ".join([rng.choice(["we", "our", "this", "the"]), rng.choice(ADJECTIVES), rng.choice(NOUNS),
                          rng.choice(["will", "must", "cannot", "should"]), rng.choice(["hold", "wait", "move", "end"]),
                          rng.choice(["now", "soon", "today", "yet"])])
        text = f"{words} number {n + 1}"
        paragraphs.append(f"{leader['aliases'][0]} told reporters: “{text[0].upper()}{text[1:]}.” "
                          + " ".join(_sentence(rng, rng.randint(10, 16)) for _ in range(rng.randint(2, 4))))
        quotes.append({"who": leader["id"], "text": text})

    stances = []
    for n, (topic, _) in enumerate(rng.sample(TOPICS, 2)):
        leader = rng.choice(cast)
        anchor = f"position on {topic} was stated plainly for the {('first', 'second')[n]} time"
        paragraphs.append(f"Asked about it, {leader['aliases'][0]} said the {anchor}. " + _sentence(rng, 15))
        stances.append({"who": leader["id"], "topic": topic, "stance": rng.choice(STANCES),
                        "detail": f"{_sentence(rng, 8)[:-1]} ({topic}).", "anchor": anchor})

    # Body filler up to about 870 words, with a little Markdown.
    extra = 0
    while sum(len(p.split()) for p in paragraphs) < 860:
        sentences = [_sentence(rng, rng.randint(10, 18)) for _ in range(rng.randint(3, 5))]
        if extra == 1:
            sentences[0] = f"**{sentences[0][:-1]}**."
        if extra == 2:
            sentences[1] = f"See [the {rng.choice(NOUNS)} report](https://example.org/{i}/{extra}) for details."
        if extra == 3:
            paragraphs.append("\n".join(f"- {_sentence(rng, 8)}" for _ in range(3)))
        paragraphs.append(" ".join(sentences))
        extra += 1
    title = f"{cast[0]['name']} {rng.choice(VERBS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} in {place} ({i + 1})"
    summary = [f"{cast[0]['name']} {rng.choice(VERBS)} the *{rng.choice(ADJECTIVES)}* {rng.choice(NOUNS)}.",
               _sentence(rng, 12), _sentence(rng, 10)]
    return {"slug": f"story-{i:05d}", "title": title, "published": published, "outlet": outlet,
            "agencies": agencies, "url": f"https://example.org/news/{i}", "summary": summary, "events": events,
            "quotes": quotes, "stances": stances, "paragraphs": paragraphs,
            "tags": sorted({leader["id"] for leader in cast})}


def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def article_markdown(a: dict) -> str:
    lines = ["---", f"title: {_q(a['title'])}", f"published: {a['published'].isoformat()}", "source:",
             f"  outlet: {a['outlet']}"]
    if a["agencies"]:
        lines.append(f"  agencies: [{', '.join(a['agencies'])}]")
    lines += [f"  url: {a['url']}", "summary:"] + [f"  - {_q(point)}" for point in a["summary"]]
    lines.append("events:")
    for e in a["events"]:
        lines += [f"  - id: {e['id']}", f"    when: {e['when']}", f"    what: {_q(e['what'])}",
                  f"    who: [{', '.join(e['who'])}]", f"    topics: [{', '.join(e['topics'])}]",
                  f"    anchor: {_q(e['anchor'])}"]
    lines.append("quotes:")
    for q in a["quotes"]:
        lines += [f"  - who: {q['who']}", f"    text: {_q(q['text'])}"]
    lines.append("stances:")
    for s in a["stances"]:
        lines += [f"  - who: {s['who']}", f"    topic: {s['topic']}", f"    stance: {s['stance']}",
                  f"    detail: {_q(s['detail'])}", f"    anchor: {_q(s['anchor'])}"]
    lines.append("---")
    return "\n".join(lines) + "\n" + "\n\n".join(a["paragraphs"]) + "\n"


SITE_YAML = """\
title: Synthetic briefing
description: A generated briefing for benchmarks, shaped like a long-running story.
language: en
timezone: Europe/Berlin
base_url: https://example.org/briefing/
topics:
""" + "".join(f"  {topic}:\n    title: {title}\n    description: Where the leaders stand on {title.lower()}.\n"
              for topic, title in TOPICS)

TIMELINE_YAML = """\
- when: 2014
  what: The first border agreement is signed
  who: [anna-berg]
  topics: [borders]
  source: {outlet: Archive Press}
- when: 2016-05~
  what: The regional energy compact collapses
  topics: [energy]
  source: {outlet: Archive Press}
- when: 2018-21
  what: Spring talks on refugees open in Eastport
  who: [jonas-vik, maria-novak]
  topics: [refugees]
  source: {outlet: Archive Press, url: https://example.org/archive/1}
"""


def leader_yaml(leader: dict) -> str:
    lines = [f"name: {leader['name']}", f"aliases: [{', '.join(_q(a) for a in leader['aliases'])}]",
             f"role: {leader['role']}"]
    if leader["country"]:
        lines.append(f"country: {leader['country']}")
    lines.append(f"kind: {leader['kind']}")
    if leader["wikidata"]:
        lines.append(f"wikidata: {leader['wikidata']}")
    return "\n".join(lines) + "\n"


def write_briefing(root: Path, count: int) -> Path:
    """The project (content/ only) of `count` articles at `root`, replacing what was there."""
    content = root / "content"
    if content.exists():
        shutil.rmtree(content)
    (content / "leaders").mkdir(parents=True)
    (content / "articles").mkdir()
    (content / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    (content / "timeline.yaml").write_text(TIMELINE_YAML, encoding="utf-8")
    for leader in LEADERS:
        (content / "leaders" / f"{leader['id']}.yaml").write_text(leader_yaml(leader), encoding="utf-8")
    for i in range(count):
        a = article(i)
        (content / "articles" / f"{a['slug']}.md").write_text(article_markdown(a), encoding="utf-8")
    return root


# --- The Hugo twin -------------------------------------------------------------------------------

HUGO_CONFIG = """\
baseURL = "https://example.org/briefing/"
languageCode = "en"
title = "Synthetic briefing"
disableKinds = []
[taxonomies]
  tag = "tags"
[markup.goldmark.renderer]
  unsafe = false
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
<meta name="description" content="{{ .Params.description }}"><link rel="canonical" href="{{ .Permalink }}">
{{ range .AlternativeOutputFormats }}<link rel="{{ .Rel }}" type="{{ .MediaType.Type }}" href="{{ .Permalink }}">{{ end }}
</head><body><header><a href="{{ "" | relURL }}">{{ .Site.Title }}</a>
<nav><a href="{{ "articles/" | relURL }}">Articles</a> <a href="{{ "tags/" | relURL }}">Leaders</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main><footer>Built with Hugo.</footer></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time> · {{ .Params.outlet }}</p>
<ul class="key-points">{{ range .Params.keypoints }}<li>{{ . | markdownify }}</li>{{ end }}</ul>
{{ .Content }}
<h2>Leaders</h2><ul>{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ol>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> <time>{{ .Date.Format "2 January 2006" }}</time>
<ul>{{ range .Params.keypoints }}<li>{{ . | markdownify }}</li>{{ end }}</ul></li>
{{ end }}</ol>{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}<h1>Leaders</h1><ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}
</ul>{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ .Site.Title }}</h1><ol>
{{ range where .Site.RegularPages "Section" "articles" }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
<ul>{{ range .Params.keypoints }}<li>{{ . | markdownify }}</li>{{ end }}</ul></li>
{{ end }}</ol>{{ end }}
""",
}


def write_hugo(root: Path, count: int) -> Path:
    """The Hugo site of the same `count` articles at `root`, replacing what was there."""
    if root.exists():
        shutil.rmtree(root)
    (root / "content" / "articles").mkdir(parents=True)
    (root / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        path = root / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for leader in LEADERS:
        term = root / "content" / "tags" / leader["id"]
        term.mkdir(parents=True, exist_ok=True)
        (term / "_index.md").write_text(f"---\ntitle: {_q(leader['name'])}\n---\n{leader['role']}\n", encoding="utf-8")
    for i in range(count):
        a = article(i)
        front = ["---", f"title: {_q(a['title'])}", f"date: {a['published'].isoformat()}",
                 f"outlet: {_q(a['outlet'])}", f"tags: [{', '.join(a['tags'])}]", "keypoints:"]
        front += [f"  - {_q(point)}" for point in a["summary"]]
        front.append("---")
        (root / "content" / "articles" / f"{a['slug']}.md").write_text(
            "\n".join(front) + "\n" + "\n\n".join(a["paragraphs"]) + "\n", encoding="utf-8")
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--hugo", type=Path, help="also write the Hugo twin here")
    args = parser.parse_args(argv)
    write_briefing(args.project, args.articles)
    if args.hugo:
        write_hugo(args.hugo, args.articles)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
