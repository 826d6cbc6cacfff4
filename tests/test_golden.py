"""The bundled briefing's site, compared file by file with a reviewed copy.

Any change to what readers get shows up here as a diff to review. After an
intended change, run `pytest tests/test_golden.py --update-golden` and commit
the new copy with the change.
"""

from __future__ import annotations

import difflib
import shutil

from helpers import REPO

from generator.cli import main

GOLDEN = REPO / "tests" / "golden" / "site"


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_bundled_site_matches_the_golden_copy(tmp_path, request):
    out = tmp_path / "site"
    assert main(["build", str(REPO), "--out", str(out), "--base-url", "https://example.org/briefing/"]) == 0
    if request.config.getoption("--update-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    built, golden = _files(out), _files(GOLDEN)
    assert sorted(built) == sorted(golden), "files added or removed; review and run with --update-golden"
    for name, data in built.items():
        if data != golden[name]:
            diff = "\n".join(list(difflib.unified_diff(golden[name].decode(errors="replace").splitlines(),
                                                       data.decode(errors="replace").splitlines(),
                                                       f"golden/{name}", f"built/{name}", lineterm=""))[:40])
            raise AssertionError(f"{name} differs from the golden copy (run with --update-golden if intended):\n{diff}")
