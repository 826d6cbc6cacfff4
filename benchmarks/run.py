"""Benchmark `briefing build` (and `briefing serve`) on synthetic briefings, with Hugo side by side.

    python benchmarks/run.py [--sizes 1000 10000] [--workdir /tmp/briefing-bench] [--no-serve] [--no-hugo]

For each size N it writes the synthetic briefing of benchmarks/synth.py (and
its Hugo twin, when `hugo` is installed), then times, each in a fresh
`python -m generator build` process:

  cold        no cache, no site
  no-op       nothing changed
  body        one article's body edited (the first edit after the cold build)
  body again  another article's body edited: a second edit, which, unlike the first, finds
              the site before last kept in the cache (see docs/performance.md)
  leader      one leader's role edited (read by its page, the summary and the articles naming it)
  alias       one leader given a new alias (changes mentions in the articles where it stands)
  site.yaml   the briefing's description edited (shown on every page)
  template    a project template overriding article.html
  serve       save-to-reload latency of `briefing serve` for a body edit: from the save to the
              reload being sent to the browser, as the preview logs it (the median of three
              saves, three seconds apart), and the preview's own build of each save; and how
              long its first build took (started after the builds above, it links what the
              built site holds)

and reports wall time, peak memory (the sum over the build's processes,
sampled every 20 ms; and the largest single process) and how many files of
the site were written (new inode or modification time). It is not a test: it
prints a table (and writes it as JSON with --json).

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


def step(size: int, name: str, project: Path) -> dict:
    """One build, reported as soon as it is done (a run at 10,000 articles takes a while)."""
    result = build(project)
    print(f"[{size}] {name}: {result['seconds']:.2f} s, {result['written']:,} files written", flush=True)
    return result


def edit_body(project: Path, i: int) -> Path:
    path = project / "content/articles" / f"story-{i:05d}.md"
    text = path.read_text(encoding="utf-8")
    marker = "\n\n"
    cut = text.rindex(marker)  # the last paragraph: no anchor stands there
    path.write_text(text[:cut] + marker + f"An added sentence, edit {time.time_ns()}." + text[cut:], encoding="utf-8")
    return path


def serve_latency(project: Path, article: int, saves: int = 3) -> dict:
    """Start `briefing serve`, then save an edited article `saves` times, a few seconds apart (as an
    author reads between saves), reading the log line of each rebuild; the median is reported."""
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", str(project), "--port", "0"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    lines: list[str] = []
    latencies: list[float] = []
    builds: list[float] = []
    first = None
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
        for save in range(saves):
            time.sleep(3.0)
            edit_body(project, article + save)
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
        return {"seconds": statistics.median(latencies), "all": latencies, "build": statistics.median(builds),
                "first": first, "log": lines[-3:]}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def hugo_runs(site: Path) -> dict | None:
    if not shutil.which("hugo"):
        return None
    for leftover in ("public", "resources"):
        shutil.rmtree(site / leftover, ignore_errors=True)
    cold = measured(["hugo", "--quiet"], cwd=site)
    again = measured(["hugo", "--quiet"], cwd=site)
    files = sum(len(f) for _, _, f in os.walk(site / "public"))
    return {"cold": cold, "again": again, "files": files,
            "version": subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.strip()}


def bench(size: int, workdir: Path, serve: bool, hugo: bool) -> dict:
    project = workdir / f"briefing-{size}"
    synth.write_briefing(project, size)
    for leftover in ("site", ".briefing-cache", "templates"):
        shutil.rmtree(project / leftover, ignore_errors=True)
    rows: dict[str, dict] = {}
    print(f"[{size}] cold build …", flush=True)
    rows["cold"] = step(size, "cold", project)
    rows["no-op"] = step(size, "no-op", project)
    edit_body(project, size // 2)
    rows["body"] = step(size, "body", project)
    edit_body(project, size // 2 + 1)
    rows["body again"] = step(size, "body again", project)
    leader = project / "content/leaders/maria-novak.yaml"
    leader.write_text(leader.read_text().replace("role: ", "role: Acting "), encoding="utf-8")
    rows["leader"] = step(size, "leader", project)
    leader = project / "content/leaders/jonas-vik.yaml"
    leader.write_text(leader.read_text().replace("aliases: [", "aliases: [\"J. Vik\", "), encoding="utf-8")
    rows["alias"] = step(size, "alias", project)
    site_yaml = project / "content/site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("A generated briefing", "A synthetic briefing"), encoding="utf-8")
    rows["site.yaml"] = step(size, "site.yaml", project)
    template = (REPO / "templates/article.html").read_text(encoding="utf-8")
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates/article.html").write_text(template.replace("{% block content %}",
                                                                     "{% block content %}\n<!-- edited -->", 1))
    rows["template"] = step(size, "template", project)
    result = {"size": size, "rows": rows}
    if serve:
        print(f"[{size}] serve …", flush=True)
        result["serve"] = serve_latency(project, size // 3)
    if hugo:
        print(f"[{size}] hugo …", flush=True)
        twin = synth.write_hugo(workdir / f"hugo-{size}", size)
        result["hugo"] = hugo_runs(twin)
    return result


def table(results: list[dict]) -> str:
    lines = ["| articles | step | wall s | peak RSS MB (sum / largest process) | files written / in site |",
             "|---:|---|---:|---:|---:|"]
    for result in results:
        for name, row in result["rows"].items():
            lines.append(f"| {result['size']:,} | {name} | {row['seconds']:.2f} | "
                         f"{row['rss_sum_mb']:.0f} / {row['rss_max_mb'] or 0:.0f} | {row['written']:,} / {row['files']:,} |")
        serve = result.get("serve")
        if serve:
            shown = f"{serve['seconds']:.2f}" if serve.get("seconds") is not None else "n/a"
            lines.append(f"| {result['size']:,} | serve: save → reload sent | {shown} | | |")
            if serve.get("build") is not None:
                lines.append(f"| {result['size']:,} | serve: its build of the body edit | {serve['build']:.2f} | | |")
            if serve.get("first") is not None:
                lines.append(f"| {result['size']:,} | serve: its first build (from the built site) | "
                             f"{serve['first']:.2f} | | |")
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
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "generator")], check=True)
    results = [bench(size, args.workdir, not args.no_serve, not args.no_hugo) for size in args.sizes]
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
