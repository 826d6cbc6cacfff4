"""Benchmark `briefing build` (and `briefing serve`) on synthetic briefings, with Hugo side by side.

    python benchmarks/run.py [--sizes 1000 10000] [--runs 3] [--workdir /tmp/briefing-bench] [--no-serve] [--no-hugo]

For each size N it writes the synthetic briefing of benchmarks/synth.py (and
its Hugo twin, when `hugo` is installed), then times, each in a fresh
`python -m generator build` process:

  cold        no cache, no site
  no-op       nothing changed
  body        one article's body edited (the first edit after the cold build)
  body again  another article's body edited: a later edit, which, unlike the first, finds
              the site before last kept in the cache (see docs/performance.md)
  leader      one leader's role edited (read by its page, the summary and the articles naming it)
  alias       one leader given a new alias (changes mentions in the articles where it stands)
  site.yaml   the briefing's description edited (shown on every page)
  template    a comment added to a project template overriding article.html: its pages change,
              not what readers read or search
  template words
              a paragraph added to that template: the words of every article page change
  serve       save-to-reload latency of `briefing serve` for a body edit and for a leader's role:
              from the save to the reload being sent to the browser, as the preview logs it (the
              median of three saves of each, three seconds apart), and the preview's own build of
              each save; from the last save of each to the search index and data/briefing.json
              being up to date too (the preview brings them up to date in the background once
              the saves are quiet); and how long its first build took (started after the builds
              above, it links what the built site holds)

and reports wall time, peak memory (the sum over the build's processes,
sampled every 20 ms; and the largest single process) and how many files of
the site were written (new inode or modification time). It is not a test: it
prints a table (and writes it as JSON with --json).

Each step is run `--runs` times (3 by default; cold, no-op and body as that many rounds of
the three, each from nothing; each other edit to a state no build has seen) and its median
is reported, with every run's time in the JSON; the machine's own spread between runs is
wide (±30% on a shared 2-vCPU machine), so a single run says little. The same goes for Hugo.

The generator's modules are compiled to bytecode first, as `pip install` leaves an installed
briefing: a checkout run with PYTHONDONTWRITEBYTECODE set (as on the development machine) would
otherwise compile them again in every build, ~0.15 s of each.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402


def process_tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except OSError:
            pass
    return found


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measured(command: list[str], cwd: Path | None = None) -> dict:
    """Run a command to its end: wall seconds, peak RSS summed over its processes (sampled) and the
    largest single process's peak (wait4's ru_maxrss, which covers the processes it waited for)."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        peak_sum = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak_sum = max(peak_sum, sum(rss_kb(p) for p in process_tree(process.pid)))
            time.sleep(0.02)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{stderr[-3000:]}")
    return {"seconds": wall, "rss_sum_mb": max(peak_sum, usage.ru_maxrss) / 1024, "rss_max_mb": usage.ru_maxrss / 1024,
            "stdout": stdout}


def site_state(site: Path) -> dict[str, tuple[int, int]]:
    state = {}
    for root, _, files in os.walk(site):
        for name in files:
            path = os.path.join(root, name)
            st = os.stat(path)
            state[path] = (st.st_ino, st.st_mtime_ns)
    return state


def build(project: Path) -> dict:
    site = project / "site"
    before = site_state(site) if site.exists() else {}
    result = measured([sys.executable, "-m", "generator", "build", str(project)], cwd=REPO)
    after = site_state(site)
    result["files"] = len(after)
    result["written"] = sum(1 for path, state in after.items() if before.get(path) != state)
    return result


def median_run(runs: list[dict]) -> dict:
    """Runs of one step as one: the median wall time (as the issue's own figures were taken), every
    run's, the largest memory of any, and what the last one wrote."""
    return dict(runs[-1], seconds=statistics.median(r["seconds"] for r in runs), all=[r["seconds"] for r in runs],
                rss_sum_mb=max(r["rss_sum_mb"] for r in runs), rss_max_mb=max(r["rss_max_mb"] for r in runs))


def summary(size: int, name: str, runs: list[dict]) -> dict:
    """median_run(runs), printed at once (a run at 10,000 articles takes a while)."""
    row = median_run(runs)
    spread = f" (runs: {', '.join(f'{s:.2f}' for s in row['all'])})" if len(runs) > 1 else ""
    print(f"[{size}] {name}: {row['seconds']:.2f} s{spread}, {row['written']:,} files written", flush=True)
    return row


def set_line(path: Path, start: str, line: str) -> None:
    """Put `line` in place of the file's line that begins with `start`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[next(n for n, text in enumerate(lines) if text.startswith(start))] = line
    path.write_text("\n".join(lines), encoding="utf-8")


def edit_body(project: Path, i: int) -> Path:
    path = project / "content/articles" / f"story-{i:05d}.md"
    text = path.read_text(encoding="utf-8")
    marker = "\n\n"
    cut = text.rindex(marker)  # the last paragraph: no anchor stands there
    path.write_text(text[:cut] + marker + f"An added sentence, edit {time.time_ns()}." + text[cut:], encoding="utf-8")
    return path


def serve_latency(project: Path, article: int, saves: int = 3) -> dict:
    """Start `briefing serve`, then save an edited article `saves` times, and a leader's edited role as
    often, a few seconds apart (as an author reads between saves), reading the log line of each
    rebuild; the medians are reported."""
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", str(project), "--port", "0"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines: list[str] = []
    first = None
    leader = project / "content/leaders/maria-novak.yaml"
    role = next(line for line in leader.read_text(encoding="utf-8").split("\n") if line.startswith("role: "))
    edits = {"body": lambda n: edit_body(project, article + n),
             "leader": lambda n: set_line(leader, "role: ", f"{role} (preview edit {n + 1})")}
    try:
        deadline = time.time() + 1800
        while time.time() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
            found = re.search(r"\bbuilt in ([0-9.]+) s", line)
            if found:
                first = float(found.group(1))
                break
        result: dict = {"first": first}
        for name, edit in edits.items():
            latencies, builds = [], []
            for save in range(saves):
                time.sleep(3.0)
                edit(save)
                saved = time.time()
                while time.time() < deadline:
                    line = process.stdout.readline()
                    if not line or "build failed" in line:
                        return {"seconds": None, "log": lines[-10:]}
                    lines.append(line.rstrip())
                    found = re.search(r"rebuilt in ([0-9.]+) s.*reload sent ([0-9.]+) s after the save", line)
                    if found:
                        latencies.append(float(found.group(2)))
                        builds.append(float(found.group(1)))
                        break
            # After the last save, the search index and data/briefing.json are brought up to date in the
            # background (a save stops a catching up in progress, so only the last one's finishes).
            caught_up = None
            while time.time() < min(deadline, saved + 120):
                line = process.stdout.readline()
                if not line:
                    break
                lines.append(line.rstrip())
                if "brought up to date in" in line:
                    caught_up = time.time() - saved
                    break
            prefix = "" if name == "body" else f"{name} "
            result.update({f"{prefix}seconds": statistics.median(latencies), f"{prefix}all": latencies,
                           f"{prefix}build": statistics.median(builds), f"{prefix}whole site": caught_up})
        return {**result, "log": lines[-3:]}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def hugo_runs(site: Path, runs: int) -> dict | None:
    if not shutil.which("hugo"):
        return None
    colds, agains = [], []
    for _ in range(runs):
        for leftover in ("public", "resources"):
            shutil.rmtree(site / leftover, ignore_errors=True)
        colds.append(measured(["hugo", "--quiet"], cwd=site))
        agains.append(measured(["hugo", "--quiet"], cwd=site))
    files = sum(len(f) for _, _, f in os.walk(site / "public"))
    return {"cold": median_run(colds), "again": median_run(agains), "files": files,
            "version": subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.strip()}


def bench(size: int, workdir: Path, serve: bool, hugo: bool, runs: int) -> dict:
    project = workdir / f"briefing-{size}"
    synth.write_briefing(project, size)
    built: dict[str, list[dict]] = {"cold": [], "no-op": [], "body": []}
    for n in range(runs):  # the first edit after a cold build is a step of its own: it follows each
        for leftover in ("site", ".briefing-cache", "templates"):
            shutil.rmtree(project / leftover, ignore_errors=True)
        print(f"[{size}] cold build {n + 1} of {runs} …", flush=True)
        built["cold"].append(build(project))
        built["no-op"].append(build(project))
        edit_body(project, size // 2 + n)
        built["body"].append(build(project))
    rows = {name: summary(size, name, found) for name, found in built.items()}

    def repeated(name: str, edit) -> None:
        found = []
        for n in range(runs):
            edit(n)
            found.append(build(project))
        rows[name] = summary(size, name, found)

    # Each run makes a state no build has seen: undoing an edit would find its search bundles in the
    # site before last (kept for the next build to start from) and say little of an edit's cost.
    content = project / "content"
    role = next(line for line in (content / "leaders/maria-novak.yaml").read_text().split("\n")
                if line.startswith("role: "))
    aliases = next(line for line in (content / "leaders/jonas-vik.yaml").read_text().split("\n")
                   if line.startswith("aliases: ["))
    repeated("body again", lambda n: edit_body(project, size // 2 + runs + n))
    repeated("leader", lambda n: set_line(content / "leaders/maria-novak.yaml", "role: ", f"{role} (edit {n + 1})"))
    repeated("alias", lambda n: set_line(content / "leaders/jonas-vik.yaml", "aliases: [",
                                         aliases.replace("[", f'["J. Vik {n + 1}", ', 1)))
    repeated("site.yaml", lambda n: set_line(content / "site.yaml", "description: ",
                                             f"description: A generated briefing for benchmarks, edit {n + 1}."))
    template = (REPO / "templates/article.html").read_text(encoding="utf-8")
    (project / "templates").mkdir(exist_ok=True)
    repeated("template", lambda n: (project / "templates/article.html").write_text(
        template.replace("{% block content %}", f"{{% block content %}}\n<!-- edited {n + 1} -->", 1),
        encoding="utf-8"))
    repeated("template words", lambda n: (project / "templates/article.html").write_text(
        template.replace("{% block content %}", f"{{% block content %}}\n<p>Edited {n + 1}.</p>", 1),
        encoding="utf-8"))
    result = {"size": size, "rows": rows}
    if serve:
        print(f"[{size}] serve …", flush=True)
        result["serve"] = serve_latency(project, size // 3)
    if hugo:
        print(f"[{size}] hugo …", flush=True)
        twin = synth.write_hugo(workdir / f"hugo-{size}", size)
        result["hugo"] = hugo_runs(twin, runs)
    return result


_SERVE_ROWS = (("a body saved → reload sent", "seconds"), ("its build of the body edit", "build"),
               ("the last body save → search index and data export up to date", "whole site"),
               ("a leader's role saved → reload sent", "leader seconds"),
               ("its build of the role edit", "leader build"),
               ("the last role save → search index and data export up to date", "leader whole site"),
               ("its first build (from the built site)", "first"))


def table(results: list[dict]) -> str:
    runs = len(next(iter(results[0]["rows"].values()))["all"]) if results else 1
    lines = [f"| articles | step | wall s (median of {runs}) | peak RSS MB (sum / largest process) | "
             "files written / in site |",
             "|---:|---|---:|---:|---:|"]
    for result in results:
        for name, row in result["rows"].items():
            lines.append(f"| {result['size']:,} | {name} | {row['seconds']:.2f} | "
                         f"{row['rss_sum_mb']:.0f} / {row['rss_max_mb'] or 0:.0f} | {row['written']:,} / {row['files']:,} |")
        serve = result.get("serve")
        if serve:
            for label, name in _SERVE_ROWS:
                value = serve.get(name)
                lines.append(f"| {result['size']:,} | serve: {label} | "
                             f"{'n/a' if value is None else f'{value:.2f}'} | | |")
        hugo = result.get("hugo")
        if hugo:
            lines.append(f"| {result['size']:,} | Hugo cold | {hugo['cold']['seconds']:.2f} | "
                         f"{hugo['cold']['rss_sum_mb']:.0f} / {hugo['cold']['rss_max_mb'] or 0:.0f} | {hugo['files']:,} |")
            lines.append(f"| {result['size']:,} | Hugo again | {hugo['again']['seconds']:.2f} | "
                         f"{hugo['again']['rss_sum_mb']:.0f} / {hugo['again']['rss_max_mb'] or 0:.0f} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/briefing-bench"))
    parser.add_argument("--no-serve", action="store_true")
    parser.add_argument("--no-hugo", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="builds of each step, of which the median is shown")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "generator")], check=True)
    results = [bench(size, args.workdir, not args.no_serve, not args.no_hugo, args.runs) for size in args.sizes]
    print(table(results))
    for result in results:
        if result.get("hugo"):
            print(f"Hugo: {result['hugo']['version']}")
            break
    if args.json:
        for result in results:
            for row in result["rows"].values():
                row.pop("stdout", None)
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
