"""Load files: find the content tree's files and decode them, refusing what cannot be text.

Files are listed in sorted order, so nothing later depends on the order the
file system happens to return.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, Report
from .fields import id_problem

_YAML_SUFFIXES = (".yaml", ".yml")
_MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the project, forward slashes: what error messages name
    stem: str  # the id or slug the file name gives
    text: str  # decoded, BOM removed, line ends normalised to \n


@dataclass(frozen=True)
class ContentFiles:
    site: SourceFile | None
    leaders: tuple[SourceFile, ...]
    articles: tuple[SourceFile, ...]
    timeline: SourceFile | None


def load_content(project: Path, report: Report) -> ContentFiles:
    content = project / "content"
    if not content.is_dir():
        raise ContentError(f"{content}: no content directory")
    root = content.resolve()

    def read(path: Path) -> SourceFile | None:
        rel = path.relative_to(project).as_posix()
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root):
                report.error(rel, 0, 0, "this file is a symbolic link to a place outside content/; copy the file in instead")
                return None
        try:
            data = path.read_bytes() if path.stat().st_size <= _MAX_FILE_BYTES else None
        except OSError as error:
            report.error(rel, 0, 0, f"cannot read this file: {error.strerror}")
            return None
        if data is None:
            report.error(rel, 0, 0, f"this file is larger than {_MAX_FILE_BYTES // (1024 * 1024)} MB")
            return None
        text = decode(data, rel, report)
        return None if text is None else SourceFile(rel, _stem(path), text)

    def listing(folder: str, suffixes) -> tuple[SourceFile, ...]:
        directory = content / folder
        if not directory.exists():
            return ()
        if directory.is_symlink() and not directory.resolve().is_relative_to(root):
            report.error(f"content/{folder}", 0, 0, "this folder is a symbolic link to a place outside content/")
            return ()
        files, seen = [], {}
        for path in sorted(directory.iterdir(), key=lambda p: p.name):
            rel = path.relative_to(project).as_posix()
            if path.name.startswith(".") or path.is_dir():
                continue
            if path.suffix not in suffixes:
                report.warning(rel, 0, 0, f"ignored: files in content/{folder}/ must end in {' or '.join(suffixes)}")
                continue
            stem = _stem(path)
            problem = id_problem(stem)
            if problem:
                report.error(rel, 0, 0, f"bad file name: {problem}",
                             f"rename it to '{_suggest_id(stem)}{path.suffix}'" if _suggest_id(stem) else None)
                continue
            if stem.lower() in seen:
                report.error(rel, 0, 0, f"'{stem}' is already given by {seen[stem.lower()]}; each id must be unique")
                continue
            seen[stem.lower()] = rel
            loaded = read(path)
            if loaded:
                files.append(loaded)
        return tuple(files)

    site_path = _first_existing(content, "site")
    if site_path is None:
        report.error("content/site.yaml", 0, 0, "missing: every briefing needs content/site.yaml with at least a title")
    timeline_path = _first_existing(content, "timeline")
    return ContentFiles(
        site=read(site_path) if site_path else None,
        leaders=listing("leaders", _YAML_SUFFIXES),
        articles=listing("articles", (".md", ".markdown")),
        timeline=read(timeline_path) if timeline_path else None,
    )


def decode(data: bytes, rel: str, report: Report) -> str | None:
    """UTF-8 text with or without BOM and with LF or CRLF ends; anything else is reported."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:  # before decoding: a binary file is "not text", whatever its other bytes
        line = data.count(b"\n", 0, nul) + 1
        report.error(rel, line, nul - (data.rfind(b"\n", 0, nul) + 1) + 1,
                     f"the file holds a NUL byte (byte offset {nul}): it is not a text file or it is damaged")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        report.error(rel, line, col, f"not UTF-8 text: byte 0x{data[error.start]:02x} at byte offset {error.start} "
                     "cannot be decoded", "save the file as UTF-8")
        return None
    # NFC, so a name typed with combining accents matches the same name typed precomposed.
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _stem(path: Path) -> str:
    return path.name[: -len(path.suffix)] if path.suffix else path.name


def _suggest_id(stem: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", stem.lower())).strip("-")[:64]


def _first_existing(content: Path, stem: str) -> Path | None:
    for suffix in _YAML_SUFFIXES:
        path = content / f"{stem}{suffix}"
        if path.exists() or path.is_symlink():
            return path
    return None

