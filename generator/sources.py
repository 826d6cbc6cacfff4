"""Load files: find the content tree's files and decode them, refusing what cannot be text.

Files are listed in sorted order, so nothing later depends on the order the
file system happens to return.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
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
    # Decoded, BOM removed, line ends normalised to \n. None: not read, because the caller's `known`
    # (see load_content) said the file is unchanged; `read_source` reads it when it is needed after all.
    text: str | None
    stamp: tuple[int, int, int] | None = None  # (size, modification time, inode) when it was listed
    # text_digest of the text, for an article read by load_content for a caller's `known` but not kept
    # with it: its parse is found by this, and whoever parses it reads it again.
    digest: bytes | None = None


@dataclass
class ArticleListing:
    """What load_content last found in content/articles/, kept by a caller that also hears of every
    file changed since (the preview's build process, told by its watcher): while the folder holds the
    same names, the next load reads again the changed files alone rather than stat 10,000 files
    (~0.1 s of a save at 10,000 articles). A folder with a symbolic link or a problem beyond a warning
    is listed afresh each time."""

    names: frozenset[str] | None = None  # the folder's entries when it was last listed; None: list afresh
    files: tuple[SourceFile, ...] = ()
    warnings: tuple = ()  # its diagnostics (warnings about names alone), reported again
    changed: set[str] | None = None  # project-relative paths changed since; None: unknown, list afresh

    def heard(self, paths) -> None:
        """Files changed since the last load (paths relative to the project)."""
        if self.changed is not None:
            self.changed.update(paths)

    def forget(self) -> None:
        self.names, self.files, self.warnings, self.changed = None, (), (), None


@dataclass(frozen=True)
class ContentFiles:
    site: SourceFile | None
    leaders: tuple[SourceFile, ...]
    articles: tuple[SourceFile, ...]
    timeline: SourceFile | None


def load_content(project: Path, report: Report,
                 known: dict[str, tuple[tuple, SourceFile]] | None = None,
                 listed: ArticleListing | None = None) -> ContentFiles:
    """The content tree's files. `known` (path -> (size, modification time, inode), file), kept by the
    caller between loads, spares reading and decoding a file that those say is unchanged (the file
    given may be one not read at all, text None); it is brought up to date with what this load read.
    With a `known`, articles come without their text, with its digest (SourceFile.digest). `listed`
    (with a `known`): see ArticleListing; brought up to date too."""
    content = project / "content"
    if not content.is_dir():
        raise ContentError(f"{content}: no content directory")
    root = content.resolve()

    def read(path: str, rel: str, link: bool, remember_text: bool = True, problems: Report = report) -> SourceFile | None:
        """`path`: the file's path; `rel`: what messages call it; `link`: whether it is a symbolic link;
        `remember_text`: whether the file keeps its text when there is a `known` (an article's is not:
        its parse is found by its digest, and 10,000 texts are ~150 MB that a build held until all were
        parsed); `problems`: where what is wrong with it is reported."""
        if link and not Path(path).resolve().is_relative_to(root):
            problems.error(rel, 0, 0,
                           "this file is a symbolic link to a place outside content/; copy the file in instead")
            return None
        try:
            st = os.stat(path)
        except OSError as error:
            problems.error(rel, 0, 0, f"cannot read this file: {error.strerror}")
            return None
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
        if known is not None and rel in known and known[rel][0] == stamp:
            return known[rel][1]
        file = _read(path, unread_file(rel, stamp), problems)
        if file is not None and known is not None:
            if not remember_text:
                file = dataclasses.replace(file, text=None, digest=text_digest(file.text))
            known[rel] = (stamp, file)
        return file

    def listing(folder: str, suffixes) -> tuple[SourceFile, ...]:
        directory = content / folder
        if not directory.exists():
            return ()
        if directory.is_symlink() and not directory.resolve().is_relative_to(root):
            report.error(f"content/{folder}", 0, 0, "this folder is a symbolic link to a place outside content/")
            return ()
        files, seen = [], {}
        # os.scandir rather than pathlib: a large briefing has tens of thousands of articles.
        with os.scandir(directory) as found:
            entries = sorted(found, key=lambda e: e.name)
        if folder == "articles" and listed is not None and not directory.is_symlink():
            names = frozenset(entry.name for entry in entries)
            again = _listed_again(listed, names)
            if again is not None:
                return again
            listed.forget()
            start, links = len(report.diagnostics), any(entry.is_symlink() for entry in entries)
        for entry in entries:
            name = entry.name
            rel = f"content/{folder}/{name}"
            if name.startswith(".") or _is_dir(entry):
                continue
            suffix = _suffix(name)
            if suffix not in suffixes:
                report.warning(rel, 0, 0, f"ignored: files in content/{folder}/ must end in {' or '.join(suffixes)}")
                continue
            stem = _stem(name)
            problem = id_problem(stem)
            if problem:
                report.error(rel, 0, 0, f"bad file name: {problem}",
                             f"rename it to '{_suggest_id(stem)}{suffix}'" if _suggest_id(stem) else None)
                continue
            if stem.lower() in seen:
                report.error(rel, 0, 0, f"'{stem}' is already given by {seen[stem.lower()]}; each id must be unique")
                continue
            seen[stem.lower()] = rel
            loaded = read(entry.path, rel, entry.is_symlink(), folder != "articles")
            if loaded:
                files.append(loaded)
        if folder == "articles" and listed is not None and not directory.is_symlink():
            found = report.diagnostics[start:]
            if not links and all(d.severity == "warning" for d in found):
                listed.names, listed.files, listed.warnings, listed.changed = names, tuple(files), tuple(found), set()
        return tuple(files)

    def _listed_again(listed: ArticleListing, names: frozenset[str]) -> tuple[SourceFile, ...] | None:
        """The articles as `listed` holds them, the changed ones read again; None when the folder must
        be listed afresh (its names changed, or a changed article cannot be read)."""
        if listed.names != names or listed.changed is None:
            return None
        by_path = {file.path: n for n, file in enumerate(listed.files)}
        files = list(listed.files)
        for rel in listed.changed:
            if rel not in by_path:  # not an article the folder held and holds: its name alone mattered
                continue
            path, problems = str(project / rel), Report()
            loaded = read(path, rel, False, False, problems) if not os.path.islink(path) else None
            if loaded is None or problems.diagnostics:
                return None
            files[by_path[rel]] = loaded
        report.diagnostics.extend(listed.warnings)
        listed.files, listed.changed = tuple(files), set()
        return listed.files

    site_path = _first_existing(content, "site")
    if site_path is None:
        report.error("content/site.yaml", 0, 0, "missing: every briefing needs content/site.yaml with at least a title")
    timeline_path = _first_existing(content, "timeline")
    files = ContentFiles(
        site=read(str(site_path), f"content/{site_path.name}", site_path.is_symlink()) if site_path else None,
        leaders=listing("leaders", _YAML_SUFFIXES),
        articles=listing("articles", (".md", ".markdown")),
        timeline=read(str(timeline_path), f"content/{timeline_path.name}", timeline_path.is_symlink())
        if timeline_path else None,
    )
    if known is not None:  # forget the files that are gone
        present = {f.path for f in (files.site, files.timeline, *files.leaders, *files.articles) if f}
        for rel in known.keys() - present:
            del known[rel]
    return files


def read_site_file(project: Path, report: Report) -> SourceFile | None:
    """content/site.yaml (or site.yml) alone, read; None when there is none or it cannot be read (the
    problem in `report`). For commands that need the site's settings and not the whole briefing."""
    content = project / "content"
    path = _first_existing(content, "site") if content.is_dir() else None
    return _read(str(path), SourceFile(f"content/{path.name}", "site", None), report) if path else None


def text_digest(text: str) -> bytes:
    """What names a source's text in the build cache."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def unread_file(rel: str, stamp: tuple[int, int, int]) -> SourceFile:
    """A file known by its path and stamp alone, for load_content's `known`."""
    return SourceFile(rel, _stem(rel.rpartition("/")[2]), None, stamp)


def read_source(project: Path, file: SourceFile, report: Report) -> SourceFile | None:
    """`file` with its text, read now (None, with the problem in `report`, when it cannot be)."""
    return file if file.text is not None else _read(str(project / file.path), file, report)


def _read(path: str, file: SourceFile, report: Report) -> SourceFile | None:
    """`file` (not read; its stamp gives its size) with the text of the file at `path`; None, with the
    problem in `report`."""
    if file.stamp is not None and file.stamp[0] > _MAX_FILE_BYTES:
        report.error(file.path, 0, 0, f"this file is larger than {_MAX_FILE_BYTES // (1024 * 1024)} MB")
        return None
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        report.error(file.path, 0, 0, f"cannot read this file: {error.strerror}")
        return None
    text = decode(data, file.path, report)
    return dataclasses.replace(file, text=text) if text is not None else None


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


def _suffix(name: str) -> str:
    """What pathlib calls the suffix of a file name ('.md'; '' for '.hidden' or 'name.')."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def _stem(name: str) -> str:
    suffix = _suffix(name)
    return name[: -len(suffix)] if suffix else name


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows symbolic links
    except OSError:
        return False


def _suggest_id(stem: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", stem.lower())).strip("-")[:64]


def _first_existing(content: Path, stem: str) -> Path | None:
    for suffix in _YAML_SUFFIXES:
        path = content / f"{stem}{suffix}"
        if path.exists() or path.is_symlink():
            return path
    return None

