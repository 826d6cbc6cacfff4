"""Views made as they are read (generator/streamed.py) give the bytes plain lists give.

The timeline of a large briefing is written from `Each` lists, its JSON-LD a
part at a time and its overview a few hundred marks at a time; none of that may
change a byte of what a reader, a search engine or the incremental build sees.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import overview as overview_module
from generator.cache import value_digest
from generator.pipeline import load_briefing
from generator.render import Renderer
from generator.streamed import Each, MarkupParts, dumps

REPO = Path(__file__).resolve().parent.parent

HOSTILE = ["</script><script>alert('x')</script>", "Tom & Jerry's", "“quoted” — ünïcödé", "\u2028", 3, 2.5, None, True]


def nested(items: list) -> dict:
    """A JSON-LD-like value whose list is an Each, and the same value with a plain list."""
    make = lambda item: {"@type": "ListItem", "name": item, "z": [item], "a": {"b": item}}
    lazy = {"@context": "https://schema.org", "numberOfItems": len(items), "itemListElement": Each(make, items),
            "inner": {"list": Each(make, items[:2])}}
    plain = {**lazy, "itemListElement": [make(i) for i in items], "inner": {"list": [make(i) for i in items[:2]]}}
    return lazy, plain


@pytest.mark.parametrize("options", [{}, {"sort_keys": True}, {"sort_keys": True, "indent": 2},
                                     {"ensure_ascii": False}])
def test_dumps_writes_an_each_as_the_list_it_stands_for(options):
    lazy, plain = nested(HOSTILE)
    assert dumps(lazy, **options) == json.dumps(plain, **options)
    assert dumps(Each(str, [1, 2]), **options) == json.dumps(["1", "2"], **options)
    assert dumps([Each(str, [1])], **options) == json.dumps([["1"]], **options)
    with pytest.raises(TypeError):
        dumps({"x": object()}, **options)


def test_tojson_parts_join_to_what_tojson_gives_and_cannot_end_the_script_element(tmp_path):
    renderer = Renderer(tmp_path, "/")
    lazy, plain = nested(HOSTILE)
    streamed = renderer.env.from_string("{% for part in v|tojson_parts %}{{ part }}{% endfor %}").render(v=lazy)
    whole = renderer.env.from_string("{{ v|tojson }}").render(v=plain)
    assert streamed == whole
    assert renderer.env.from_string("{{ v|tojson }}").render(v=lazy) == whole  # a project's own base.html
    assert "</script>" not in streamed and "'" not in streamed and "&" not in streamed
    assert json.loads(streamed) == json.loads(json.dumps(plain))


def test_an_each_reads_like_the_list_it_stands_for_and_digests_like_its_items():
    made = []
    each = Each(lambda n: made.append(n) or {"n": n}, [1, 2, 3])
    assert made == []  # nothing is made until it is read
    assert len(each) == 3 and each and not Each(str, [])
    assert list(each) == [{"n": 1}, {"n": 2}, {"n": 3}] == each
    assert each[1] == {"n": 2} and each[-1] == {"n": 3} and each[:2] == [{"n": 1}, {"n": 2}]
    assert value_digest({"e": each}) == value_digest({"e": Each(lambda n: {"n": n}, [1, 2, 3])})
    assert value_digest({"e": each}) != value_digest({"e": Each(lambda n: {"n": n}, [1, 2, 4])})
    assert value_digest({"e": each}) != value_digest({"e": Each(lambda n: {"n": n}, [1, 2])})


def test_the_overview_drawn_a_few_marks_at_a_time_is_the_overview_drawn_whole(monkeypatch):
    briefing, _ = load_briefing(REPO)
    monkeypatch.setattr(overview_module, "_MARKS_BATCH", 10 ** 9)
    whole = overview_module.overview(briefing)
    monkeypatch.setattr(overview_module, "_MARKS_BATCH", 1)
    in_parts = overview_module.overview(briefing)
    assert len(in_parts["svg"]) > len(whole["svg"])
    assert str(in_parts["svg"]) == str(whole["svg"]) and {**in_parts, "svg": None} == {**whole, "svg": None}
    assert str(whole["svg"]).count('<g class="ov-marks">') == 2 * len(whole["lanes"])


def test_markup_parts_are_written_whole_or_a_part_at_a_time_and_never_escaped(tmp_path):
    env = Renderer(tmp_path, "/").env
    parts = MarkupParts(["<svg>", "<title>A &amp; B</title>", "</svg>"])
    whole = "<svg><title>A &amp; B</title></svg>"
    assert env.from_string("{{ x }}").render(x=parts) == whole
    assert env.from_string("{% for p in x %}{{ p }}{% endfor %}").render(x=parts) == whole
    assert value_digest(parts) == value_digest(MarkupParts(["<svg>", "<title>A &amp; B</title>", "</svg>"]))
    assert value_digest(parts) != value_digest(MarkupParts(["<svg>", "<title>A &amp; C</title>", "</svg>"]))
