"""Render planned pages through Jinja2, and give assets content-hashed names.

A project's own templates/ overrides the built-in templates file by file
(assets included). Templates see the prepared view of a page and a few helpers
(`url`, `asset`, `abs_url`); they never see the model's internals.
"""

from __future__ import annotations

import hashlib
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import jinja2
import jinja2.meta

from . import builtin_templates
from .errors import ContentError, Diagnostic
from .streamed import dumps, tojson_parts
from .urls import absolute, file_of, relative

# A rendered piece longer than this many characters is encoded (and written) in pieces this long, so
# that no copy of it is made whole.
_SLICE = 1 << 16


class Deferred:
    """A page's context, made on first use, so that planning a site costs nothing until a page is rendered."""

    def __init__(self, function, *args):
        self.function, self.args = function, args
        self._value = None

    def make(self) -> dict:
        if self._value is None:
            self._value = self.function(*self.args)
        return self._value

    def drop(self) -> None:
        self._value = None  # a large context is not kept once its page is written


@dataclass(frozen=True)
class Page:
    path: str  # site path: 'leaders/x/' (written to leaders/x/index.html), 'feed.xml', '404.html'
    template: str
    context: dict

    @property
    def output(self) -> str:
        return file_of(self.path)


def _analysed(env: jinja2.Environment, source: str) -> tuple[list, frozenset[str] | None]:
    """What a template's source refers to (the names it extends, imports or includes; None for one
    computed while rendering) and the keys of `site` it reads (see Renderer._source_site_keys), from
    one parse. A source that cannot be parsed refers to nothing and may read any key."""
    try:
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError:
        return [], None
    return list(jinja2.meta.find_referenced_templates(tree)), _site_keys_in(tree)


def _site_keys_in(tree: jinja2.nodes.Template) -> frozenset[str] | None:
    named = sum(1 for node in tree.find_all(jinja2.nodes.Name) if node.name == "site")
    read = []
    for node in tree.find_all((jinja2.nodes.Getattr, jinja2.nodes.Getitem)):
        if not (isinstance(node.node, jinja2.nodes.Name) and node.node.name == "site"):
            continue
        key = node.attr if isinstance(node, jinja2.nodes.Getattr) else \
            node.arg.value if isinstance(node.arg, jinja2.nodes.Const) else None
        if not isinstance(key, str) or hasattr(dict, key):  # site[x], site.items(): any key
            return None
        read.append(key)
    return frozenset(read) if len(read) == named else None


def content_digest(data: bytes) -> bytes:
    """The digest by which a build tells whether a file's bytes changed."""
    return hashlib.blake2b(data, digest_size=16).digest()


class TemplateMemory(jinja2.BytecodeCache):
    """What renderers keep between builds: each template's compiled code and what its source refers
    to, so that an unchanged template is not parsed again. The preview's build process keeps one in
    memory; `briefing build` keeps one in the build cache (`state()`, `from_state()`): parsing and
    compiling the templates was ~0.2 s of every build. Jinja checks the code against the template's
    source before using it, and the analysis is found by the source itself."""

    def __init__(self, code: dict[str, bytes] | None = None, analysis: dict | None = None):
        self.code: dict[str, bytes] = code or {}
        self.analysis: dict[str, tuple[list, frozenset[str] | None]] = analysis or {}  # source -> see _analysed
        self.changed = False
        self._used: set[str] = set()  # the sources analysed since the memory was made

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()
        self.changed = True

    def analysed(self, env: jinja2.Environment, source: str) -> tuple[list, frozenset[str] | None]:
        self._used.add(source)
        if source not in self.analysis:
            self.analysis[source] = _analysed(env, source)
            self.changed = True
        return self.analysis[source]

    def state(self) -> tuple[dict, dict]:
        """What to keep: the code, and the analysis of the sources this memory was asked about (an
        edited template's earlier sources are not kept forever)."""
        return self.code, {source: self.analysis[source] for source in self._used}

    @classmethod
    def from_state(cls, state) -> TemplateMemory:
        """The memory a build left (state()); an empty one for anything else."""
        if isinstance(state, tuple) and len(state) == 2 and all(isinstance(part, dict) for part in state):
            return cls(*state)
        return cls()


# Names a dict has as attributes (items, keys, get, ...): `view.items` must stay the method.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _ViewEnvironment(jinja2.Environment):
    """Jinja's environment, with `x.name` on a plain dict (every view is one) looked up as a key first.

    Jinja prefers the attribute and tries `getattr(view, name)` first, which raises (and catches)
    an AttributeError for every key a template reads: ~10% of rendering a site. A dict's only
    attributes are its class's, so for any other name the key is what Jinja would give anyway."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class Renderer:
    def __init__(self, project: Path, base_url: str, memory: TemplateMemory | None = None):
        self.project = project
        self.base_url = base_url
        self.search_path = [d for d in (project / "templates", builtin_templates()) if d.is_dir()]
        self.memory = memory if memory is not None else TemplateMemory()
        self.env = _ViewEnvironment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.search_path]),
            autoescape=jinja2.select_autoescape(["html", "xml", "svg"], default_for_string=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # one build, one set of templates: no stat() of the template per page
            bytecode_cache=self.memory,
        )
        self.env.policies["json.dumps_function"] = dumps  # `tojson` of a view that holds an Each
        self.env.filters["tojson_parts"] = tojson_parts
        self.assets = self._hash_assets()
        self._template_digests: dict[str, bytes] = {}
        self._closures: dict[str, dict[str, tuple[str, str] | None]] = {}
        self._site_keys: dict[str, frozenset[str] | None] = {}

    def _hash_assets(self) -> dict[str, tuple[str, bytes]]:
        """name -> (hashed site path, bytes), the project's assets overriding the built-in ones."""
        found: dict[str, Path] = {}
        for directory in reversed(self.search_path):
            assets = directory / "assets"
            if assets.is_dir():
                for path in sorted(assets.rglob("*")):
                    if path.is_file():
                        found[path.relative_to(assets).as_posix()] = path
        out = {}
        for name, path in sorted(found.items()):
            data = path.read_bytes()
            stem, dot, suffix = name.rpartition(".")
            digest = hashlib.sha256(data).hexdigest()[:10]
            out[name] = (f"assets/{stem}.{digest}.{suffix}" if dot else f"assets/{name}.{digest}", data)
        return out

    def asset_files(self) -> Iterator[tuple[str, bytes]]:
        for path, data in self.assets.values():
            yield path, data

    def render(self, page: Page) -> bytes:
        return b"".join(self._chunks(page))

    def render_to(self, page: Page, stream) -> bytes:
        """Render `page` into a binary stream, a piece at a time (a page of many megabytes is never
        held whole); returns content_digest() of the bytes written."""
        h = hashlib.blake2b(digest_size=16)
        buffer: list[bytes] = []
        buffered = 0
        for chunk in self._chunks(page):
            buffer.append(chunk)
            buffered += len(chunk)
            if buffered >= 1 << 18:
                data = b"".join(buffer)
                h.update(data)
                stream.write(data)
                buffer, buffered = [], 0
        data = b"".join(buffer)
        h.update(data)
        stream.write(data)
        return h.digest()

    def template_digest(self, name: str) -> bytes:
        """A digest of the sources of `name` and of every template it extends, imports or includes."""
        if name not in self._template_digests:
            h = hashlib.blake2b(digest_size=16)
            closure = self._closure(name)
            for key in sorted(closure):
                h.update(repr((key, closure[key])).encode("utf-8", "surrogatepass"))
            self._template_digests[name] = h.digest()
        return self._template_digests[name]

    def site_keys_read(self, name: str) -> frozenset[str] | None:
        """The keys of the view's `site` that rendering `name` may read: those it, or a template it
        extends, imports or includes, names (`site.title`); None when one uses `site` in a way that
        might read any."""
        if name not in self._site_keys:
            read: set[str] | None = set()
            for found in self._closure(name).values():
                keys = self._source_site_keys(found[1]) if found is not None else frozenset()
                if keys is None:
                    read = None
                    break
                read |= keys
            self._site_keys[name] = frozenset(read) if read is not None else None
        return self._site_keys[name]

    def _closure(self, name: str) -> dict[str, tuple[str, str] | None]:
        """`name` and every template it extends, imports or includes: (file name, source), or None
        for one that does not exist."""
        if name not in self._closures:
            closure, todo = {}, [name]
            while todo:
                current = todo.pop()
                if current in closure:
                    continue
                try:
                    source, filename, _ = self.env.loader.get_source(self.env, current)
                except jinja2.TemplateNotFound:
                    closure[current] = None
                    continue
                closure[current] = (filename, source)
                referenced = self.memory.analysed(self.env, source)[0]
                if None in referenced:  # a name computed while rendering: it could be any template
                    referenced = self.env.list_templates()
                todo.extend(r for r in referenced if r)
            self._closures[name] = closure
        return self._closures[name]

    def _source_site_keys(self, source: str) -> frozenset[str] | None:
        """The keys of `site` a template's source reads (`site.title`, `site['title']`); None when it
        uses `site` otherwise (passes it on, loops over it, calls its methods, names something else so)
        or cannot be parsed, so that it might read any."""
        return self.memory.analysed(self.env, source)[1]

    def render_digest(self, page: Page) -> bytes:
        """A digest of what rendering reads besides the context and the templates: the page's
        path (relative links), the base URL and the assets' hashed names."""
        h = hashlib.blake2b(digest_size=16)
        h.update(repr((page.path, self.base_url, sorted((n, p) for n, (p, _) in self.assets.items()))).encode())
        return h.digest()

    def _chunks(self, page: Page) -> Iterator[bytes]:
        def url(to: str) -> str:
            return relative(page.path, to)

        def asset(name: str) -> str:
            if name not in self.assets:
                raise jinja2.TemplateRuntimeError(f"no asset '{name}' in templates/assets/")
            return relative(page.path, self.assets[name][0])

        def abs_url(to: str) -> str:
            return absolute(self.base_url, to)

        try:
            template = self.env.get_template(page.template)
            # Template.generate() renders piece by piece; joined, the pieces are what render() returns.
            context = page.context.make() if isinstance(page.context, Deferred) else page.context
            pieces = template.generate(context, page=page.path, url=url, asset=asset, abs_url=abs_url)
            batch: list[str] = []
            for piece in pieces:
                if len(piece) > _SLICE:  # the timeline's JSON-LD, its overview: encoded a slice at a time
                    yield "".join(batch).encode("utf-8")
                    batch = []
                    for start in range(0, len(piece), _SLICE):
                        yield piece[start:start + _SLICE].encode("utf-8")
                    continue
                batch.append(piece)
                if len(batch) >= 4096:
                    yield "".join(batch).encode("utf-8")
                    batch = []
            yield "".join(batch).encode("utf-8")
        except UnicodeEncodeError:
            raise  # not a template's failure (and not reported as one)
        except jinja2.TemplateSyntaxError as error:
            raise ContentError("a template has an error", [self._diagnostic(error.filename, error.lineno, error.message)])
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as error:
            raise ContentError(f"a template failed while rendering {file_of(page.path)}",
                               [self._template_frame(error, page.template)])

    def _diagnostic(self, filename: str | None, line: int, message: str) -> Diagnostic:
        path = Path(filename) if filename else None
        shown = filename or "templates"
        if path is not None:
            try:
                shown = path.resolve().relative_to(self.project.resolve()).as_posix()
            except ValueError:
                shown = f"templates/{path.name} (built-in)"
        return Diagnostic(shown, line or 0, 0, message)

    def _template_frame(self, error: Exception, fallback: str) -> Diagnostic:
        """The innermost template line in the traceback: Jinja maps compiled frames back to template lines."""
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename.endswith((".html", ".xml", ".svg", ".txt", ".json")):
                return self._diagnostic(frame.filename, frame.lineno, str(error))
        return Diagnostic(f"templates/{fallback}", 0, 0, str(error))

