"""The build process of `briefing serve`: builds on request, one JSON line in, one JSON line out.

The preview server runs its builds here, in a child process, so that

* serving pages never waits on a build (no shared interpreter lock), and a
  build that crashes or hangs cannot take the server down;
* Ctrl-C stops the preview at once: the server kills this process instead of
  waiting for a long build, then removes the temporary output directory.

Protocol (stdin/stdout, UTF-8 JSON, one object per line):
request  {"op": "build", "project": str, "out": str, "base_url": str | null, "changed": [str] | null}
where `changed` lists the files changed since the last request (relative to the project, as the
watcher heard of them; null: not known, and the build looks at every file);
reply    {"ok": bool, "pages": int, "seconds": float, "message": str, "behind": bool,
          "diagnostics": [{"path", "line", "col", "severity", "message", "text"}]}
where `text` is `Diagnostic.format()`, exactly what `briefing check` prints. A
build keeps what it read and wrote in memory for the next (PreviewMemory) and
leaves the search index and data/briefing.json as they were (behind: they may
lag behind the pages);
request  {"op": "catch_up", "project": str, "out": str, "base_url": str | null}
reply    {"ok": bool, "seconds": float, "message": str, "changed": bool}
brings them up to date in place (pipeline.catch_up), loading only what changed since this process's
last catch-up.
Anything the build itself prints goes to stderr.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path


def diagnostic_dict(d) -> dict:
    return {"path": d.path, "line": d.line, "col": d.col, "severity": d.severity,
            "message": d.message, "text": d.format()}


def build_once(request: dict, memories: dict) -> dict:
    """Run one request. `memories` holds the PreviewMemory of the (op, project, out, base_url) run last:
    a request for another starts afresh. (The preview runs its builds and its catch-ups in two
    processes of this program, each keeping its own memory.)"""
    from .cli import source_date_option
    from .errors import BriefingError
    from .incremental import PreviewMemory
    from .pipeline import build, catch_up

    project, out, base_url = Path(request["project"]), Path(request["out"]), request.get("base_url")
    try:
        source_date = source_date_option(os.environ.get("SOURCE_DATE_EPOCH"))
        key = (request.get("op"), str(project), str(out), base_url)
        if key not in memories:
            memories.clear()
            memories[key] = PreviewMemory()
        memory = memories[key]
        if request.get("op") == "catch_up":  # (the indexing process: catch-ups only, with a memory of their own)
            started = time.perf_counter()
            changed = catch_up(project, out, base_url=base_url, source_date=source_date, memory=memory)
            return {"ok": True, "seconds": time.perf_counter() - started, "message": "", "changed": changed}
        changed = request.get("changed")
        memory.changed = changed if isinstance(changed, list) else None
        result = build(project, out, base_url=base_url, source_date=source_date, preview=memory)
    except BriefingError as error:
        return {"ok": False, "pages": 0, "seconds": 0.0, "message": str(error), "behind": False,
                "diagnostics": [diagnostic_dict(d) for d in error.diagnostics]}
    except Exception as error:  # an internal error is a bug; keep serving and say so
        traceback.print_exc()
        return {"ok": False, "pages": 0, "seconds": 0.0, "behind": False, "diagnostics": [],
                "message": f"internal error: {type(error).__name__}: {error} (please report it)"}
    return {"ok": True, "pages": result.pages, "seconds": result.seconds, "message": "",
            "behind": result.behind, "diagnostics": [diagnostic_dict(d) for d in result.diagnostics]}


def main() -> int:
    # Ctrl-C in the terminal reaches the whole process group; the server decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the protocol
    importlib.import_module("generator.pipeline")  # import once, up front: the first build is then as fast as the rest

    memories: dict = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        reply = build_once(json.loads(line), memories)
        replies.write(json.dumps(reply, ensure_ascii=False) + "\n")
        replies.flush()
        # Between builds, while the author reads: collect what the last build left, then set aside
        # what the memories keep (the briefing), so that the next build's collections skip it.
        gc.collect()
        gc.freeze()
    return 0


if __name__ == "__main__":
    sys.exit(main())
