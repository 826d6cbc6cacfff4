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

from .errors import ContentError, Diagnostic
from .urls import absolute, file_of, relative


def builtin_templates() -> Path:
    """The built-in templates: inside the installed package, or templates/ of a source checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "templates"  # where `pip install .` puts them (see pyproject.toml)
    return installed if installed.is_dir() else package.parent / "templates"


@dataclass(frozen=True)
class Page:
    path: str  # site path: 'leaders/x/' (written to leaders/x/index.html), 'feed.xml', '404.html'
    template: str
    context: dict

    @property
    def output(self) -> str:
        return file_of(self.path)


class Renderer:
    def __init__(self, project: Path, base_url: str):
        self.project = project
        self.base_url = base_url
        self.search_path = [d for d in (project / "templates", builtin_templates()) if d.is_dir()]
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.search_path]),
            autoescape=jinja2.select_autoescape(["html", "xml", "svg"], default_for_string=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.assets = self._hash_assets()

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
            text = template.render(page.context, page=page.path, url=url, asset=asset, abs_url=abs_url)
        except jinja2.TemplateSyntaxError as error:
            raise ContentError("a template has an error", [self._diagnostic(error.filename, error.lineno, error.message)])
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as error:
            raise ContentError(f"a template failed while rendering {file_of(page.path)}",
                               [self._template_frame(error, page.template)])
        return text.encode("utf-8")

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
