"""The model a content tree becomes: mentions, anchors, merged events, stance history, encodings."""

from __future__ import annotations

import re
import unicodedata

import markdown
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpers import ARTICLE, REPO, SITE, briefing_of, project_files

from generator.body import _markdown_inline, plain_inline, render_inline
from generator.pipeline import load_briefing
from generator.text import MentionFinder


def test_bundled_briefing_builds_its_model():
    briefing, report = load_briefing(REPO)
    assert not report.errors
    ids = {leader.id for leader in briefing.leaders}
    assert {"vladimir-putin", "donald-trump", "volodymyr-zelenskyy", "kremlin", "white-house"} <= ids
    article = briefing.articles[0]
    assert {"volodymyr-zelenskyy", "andriy-sybiga", "olaf-scholz", "emmanuel-macron", "joe-biden",
            "winston-peters"} <= set(article.mentions)
    call = next(e for e in briefing.events if e.id == "trump-putin-call")
    assert call.when.display() == "18 March 2025" and call.citations[0].paragraph
    g7 = next(e for e in briefing.events if "G7" in e.what)
    assert g7.when.text == "2018" and "2014" in g7.note


def test_mentions_are_whole_words_in_any_script(tmp_path):
    leaders = {
        "content__leaders__aleksandar-vucic.yaml": "name: Aleksandar Vučić\naliases: [Vučić]\nrole: President\n",
        "content__leaders__li-qiang.yaml": "name: Li Qiang\naliases: [李强]\nrole: Premier\n",
        "content__leaders__zelenskyy.yaml": "name: Volodymyr Zelenskyy\naliases: [Zelensky, Зеленський]\nrole: President\n",
    }
    body = ("Vučić spoke. 李强 replied. Зеленський said it, and so did Zelensky’s aide.\n\n"
            "Zelenskyyan scholars and Vučićev fans are no mentions, nor is zelensky in lower case.\n")
    article = ARTICLE.split("---\n", 2)
    text = "---\n" + article[1] + "---\n" + body
    text = text.replace("    anchor: met in the capital\n", "").replace("    anchor: only if aid stops\n", "")
    text = text.replace("quotes:\n  - who: anna-berg\n    text: a good first step\n", "")
    briefing = briefing_of(tmp_path, project_files(**leaders, **{"content__articles__leaders-meet.md": text}))
    assert set(briefing.articles[0].mentions) == {"aleksandar-vucic", "li-qiang", "zelenskyy"}
    html = briefing.articles[0].body_html
    # Vučić, 李强 and Зеленський; Zelensky’s is the same leader in the same paragraph: linked once.
    assert html.count('class="mention"') == 3


def test_mentions_match_decomposed_spellings(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Vučić")
    leaders = {"content__leaders__vucic.yaml": f"name: {decomposed}\nrole: President\n"}
    text = ARTICLE.replace("Anna Berg and Jonas Vik met", "Anna Berg, Vučić and Jonas Vik met")
    briefing = briefing_of(tmp_path, project_files(**leaders, **{"content__articles__leaders-meet.md": text}))
    assert "vucic" in briefing.articles[0].mentions


def test_anchor_matching_ignores_case_quotes_dashes_and_line_breaks(tmp_path):
    body = "He said the “key\ncondition” – for peace… was clear.\n\nAnother paragraph.\n"
    text = ARTICLE.split("---\n", 2)
    front = text[1].replace("anchor: met in the capital", "anchor: 'KEY condition\" -- for peace...'")
    front = front.replace("anchor: only if aid stops", "anchor: Another paragraph")
    front = front.replace("text: a good first step", "text: condition")
    briefing = briefing_of(tmp_path, project_files(**{"content__articles__leaders-meet.md": "---\n" + front + "---\n" + body}))
    event = briefing.events[0]
    assert event.citations[0].paragraph == "p1"
    assert briefing.stances[0].citation.paragraph == "p2"


def test_crlf_and_bom_files_read_like_plain_ones(tmp_path):
    files = project_files()
    plain = briefing_of(tmp_path / "plain", files)
    odd = {path: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode() for path, text in files.items()}
    assert briefing_of(tmp_path / "odd", odd) == plain


def test_events_with_the_same_id_merge_and_the_newest_account_wins(tmp_path):
    follow_up = ARTICLE.replace("published: 2025-03-19", "published: 2025-03-21").replace(
        "what: Berg and Vik meet", "what: Berg and Vik meet in Oslo").replace("Daily Test", "Evening Test")
    timeline = "- id: meeting\n  when: 2025-03-18\n  what: A meeting\n  source: {outlet: Wire}\n"
    briefing = briefing_of(tmp_path, project_files(**{"content__articles__follow-up.md": follow_up,
                                                       "content__timeline.yaml": timeline}))
    assert len(briefing.events) == 1
    event = briefing.events[0]
    assert event.what == "Berg and Vik meet in Oslo"
    assert [c.source.outlet for c in event.citations] == ["Evening Test", "Daily Test", "Wire"]
    assert event.first_reported == ("first reported as “A meeting” by Wire",)


def test_timeline_order_is_earliest_instant_then_finer_precision_then_what(tmp_path):
    timeline = "".join(f"- when: {when}\n  what: {what}\n  source: {{outlet: Wire}}\n" for when, what in [
        ("2025-03", "March, month precision"), ("2025-03-01", "B on the first"), ("2025-03-01", "A on the first"),
        ("2024-12-31/2025-04", "An interval starting earlier"), ("2025-03~", "Approximate March"),
    ])
    briefing = briefing_of(tmp_path, project_files(**{"content__timeline.yaml": timeline}))
    order = [e.what for e in briefing.events if e.id.startswith("timeline")]
    assert order == ["An interval starting earlier", "A on the first", "B on the first",
                     "Approximate March", "March, month precision"]


def test_stance_history_marks_changes(tmp_path):
    later = ARTICLE.replace("published: 2025-03-19", "published: 2025-04-02").replace(
        "stance: conditional", "stance: supports")
    briefing = briefing_of(tmp_path, project_files(**{"content__articles__later.md": later}))
    history = [(s.stance, s.changed_from) for s in briefing.stances if s.who == "jonas-vik"]
    assert history == [("conditional", None), ("supports", "conditional")]


def test_model_does_not_depend_on_file_order(tmp_path):
    extra = {f"content__leaders__leader-{c}.yaml": f"name: Leader {c.upper()}\nrole: R\n" for c in "zyxabc"}
    one = briefing_of(tmp_path / "one", project_files(**extra))
    two = briefing_of(tmp_path / "two", project_files(**dict(reversed(list(extra.items())))))
    assert one == two
    assert [leader.id for leader in one.leaders] == sorted(leader.id for leader in one.leaders)


def test_unquoted_dates_keep_their_written_form(tmp_path):
    timeline = "- when: 2014\n  what: A year\n  source: {outlet: W}\n- when: 2025-02\n  what: A month\n  source: {outlet: W}\n"
    briefing = briefing_of(tmp_path, project_files(**{"content__timeline.yaml": timeline}))
    shown = {e.what: e.when.display() for e in briefing.events}
    assert shown["A year"] == "2014" and shown["A month"] == "February 2025"


def test_site_defaults(tmp_path):
    site = "title: Only a title\ntopics: {ceasefire: {title: C}}\n"
    briefing = briefing_of(tmp_path, project_files(**{"content__site.yaml": site}))
    assert (briefing.language, briefing.timezone, briefing.base_url) == ("en", "UTC", "/")
    assert SITE  # the full settings are covered by test_errors


def test_a_tree_written_to_the_contract_by_someone_else_builds_as_it_is():
    """The contract's own examples, with names in Cyrillic, Chinese, Arabic and Serbian Latin."""
    briefing, report = load_briefing(REPO / "tests" / "fixtures" / "contract-tree")
    assert not report.diagnostics, [d.format() for d in report.diagnostics]
    article = briefing.articles[0]
    assert set(article.mentions) == {"vladimir-putin", "volodymyr-zelenskyy", "donald-trump", "kremlin",
                                     "aleksandar-vucic"}
    shown = {e.what: e.when.display() for e in briefing.events}
    assert shown["Some time in the 2010s"] == "the 2010s"
    assert shown["An approximate month"] == "c. February 2025"
    assert len(briefing.events) == 13 and briefing.base_url == "https://example.org/briefing/"


# Key points: words and plain punctuation, joined by one of what Markdown or HTML reads.
WORDS = st.sampled_from(["Putin", "agreed", "Зеленський", "é", "30-day", "2025", "1.", "(talks)", "“no”", "it’s",
                         "50%", "now!", "why?", "—", "a/b", ".", ",", ":", ";", "-", "’", "("])
JOINS = ["", " ", "  ", "<", "*", "**", "_", "__", "`", "[", "]", "](x)", "<b>", "&", "&amp;", "#", "# ", ">", "\\",
         '"', "\n", "\n\n", "\t", "\u00a0", "+", "=", "~", "|", "- ", "1. ", "    ", "!["]


@given(st.sampled_from(JOINS), st.lists(WORDS, min_size=1, max_size=6))
@example("\\", ["Putin", "(talks)"])  # an escaped parenthesis
@example("*", ["Putin", "agreed", "now!"])  # emphasis inside a word
@example("&", ["Putin", "it’s"])
@example("<", ["Putin", "agreed"])
@settings(max_examples=600, deadline=None)
def test_a_key_point_of_plain_words_renders_as_markdown_renders_it(join, words):
    """render_inline gives plain text back as it is, without Markdown: it must be what Markdown gives."""
    for text in (join.join(words), join + " ".join(words), " ".join(words) + join,
                 f"{words[0]} {join}{' '.join(words)}{join} now"):
        assert render_inline(text) == _markdown_inline(text), text


MARKDOWN_PIECES = st.sampled_from([*(w for w in WORDS.elements if w), *JOINS, "  \n", "`x`", "\\*", "[a][1]",
                                   "\n[1]: http://e.org", "<http://e.org>", "<a@b.org>", "&copy;", "&#42;", "!",
                                   "***", "_x_", "\x02", "\x03"])


@given(st.lists(MARKDOWN_PIECES, max_size=30).map("".join), st.booleans())
@example("Putin agreed  \nwhy?", False)  # a hard line break
@example("Putin [agreed][1]\n\n[1]: http://e.org", True)  # a reference link, across paragraphs
@example("- a *b*\n- c\n\n  d", True)  # emphasis in a list item, and one that is plain
@settings(max_examples=400, deadline=None)
def test_markdown_skipping_plain_text_gives_what_markdown_gives(text, body):
    """_PlainInline leaves a text without inline markup as it is, without trying Markdown's inline
    patterns on it: Markdown with it must give what Markdown gives."""
    def made(fast: bool):
        md = markdown.Markdown(extensions=["sane_lists"] if body else [], output_format="html")
        return plain_inline(md) if fast else md
    assert made(True).convert(text) == made(False).convert(text), text


NAME_PIECES = st.sampled_from(["A", "B", "Ab", "J.", " ", "Vik", "Зе", "é", "e\u0301", "-", "'", "1"])


@given(st.lists(st.lists(NAME_PIECES, min_size=1, max_size=4).map("".join), min_size=1, max_size=6),
       st.lists(st.sampled_from(["A", "B", "Ab", "J.", " ", "Vik", "Зе", "é", "x", "_", "-", ",", "'", "1"]),
                max_size=25).map("".join))
@example(["J.", "J. Vik", "Vik"], "J. Vik, Vik")  # a name that a longer one begins with, before a space
@settings(max_examples=400, deadline=None)
def test_mentions_are_the_longest_whole_name_as_a_plain_alternation_finds_them(names, text):
    """The finder's pattern (a trie) finds what the definition finds: the names, longest first, as whole words."""
    finder = MentionFinder({name: f"leader-{n}" for n, name in enumerate(names)})
    spellings = sorted(finder.names, key=lambda n: (-len(n), n))
    if not spellings:
        return
    plain = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in spellings) + r")(?!\w)")
    assert list(finder.finditer(text)) == [(m.start(), m.end(), finder.names[m.group()]) for m in plain.finditer(text)]
