"""The CLI against its peers, on the same generated task sets.

For each size (1k and 10k tasks by default) one plan is generated and loaded
into our database, then written out with our own exporters as a task-master
`tasks.json` and a Backlog.md folder, and as a taskwarrior import. Each tool
then runs the same four things an agent does in a loop: list the tasks, ask
for the next ready one, show one, change one's status. Every figure is the
median wall time of whole commands (process start included), so it is what a
script or an agent calling the tool pays.

A peer that is not installed is skipped with a note. Goals (ours, at the
largest size): `task next` and `task show` within 0.25 s. Exits 1 when a goal
is missed, so a person can run it as a check; CI does not run it.

    python benchmarks/bench_cli.py [--sizes 1000,10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

GOAL_SECONDS = 0.25
GOAL_OPS = ("next", "show")
OPS = ("list", "next", "show", "status")


def plan_document(n: int) -> dict:
    """Every third task done, nine in ten depend on the one before."""
    tasks = []
    for i in range(n):
        task: dict = {
            "key": f"B-{i}",
            "title": f"Generated task {i}",
            "description": "x" * 40,
            "status": "done" if i % 3 == 0 else "pending",
        }
        if i % 10:
            task["depends_on"] = [f"B-{i - 1}"]
        tasks.append(task)
    return {"version": 1, "name": "bench", "tasks": tasks}


def probe_index(n: int) -> int:
    """A pending task with no dependency, near the middle: it can start."""
    i = (n // 2) // 30 * 30 + 10
    assert i % 10 == 0 and i % 3 != 0
    return i


@dataclass
class Tool:
    name: str
    cwd: Path
    env: dict[str, str]
    commands: dict[str, list[list[str]]] = field(default_factory=dict)
    note: str = ""

    def run(self, argv: list[str]) -> float:
        start = time.perf_counter()
        done = subprocess.run(
            argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, capture_output=True
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).decode(errors="replace").strip()[-300:]
            raise RuntimeError(f"{self.name}: {' '.join(argv)} exited {done.returncode}: {tail}")
        return elapsed


def ours_command() -> list[str]:
    script = Path(sys.executable).parent / "orchestrator-tui"
    return [str(script)] if script.exists() else [sys.executable, "-m", "orchestrator_tui"]


def build_ours(root: Path, n: int) -> Tool:
    db = root / "ours.db"
    plan = root / "plan.json"
    plan.write_text(json.dumps(plan_document(n)))
    cli = ours_command()
    env = dict(os.environ, ORCHESTRATOR_TUI_DB=str(db))
    subprocess.run([*cli, "db", "init"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "import", str(plan)], env=env, check=True, capture_output=True)
    key = f"B-{probe_index(n)}"
    tool = Tool("orchestrator-tui", root, env)
    tool.commands = {
        "list": [[*cli, "task", "list"]],
        "next": [[*cli, "task", "next"]],
        "show": [[*cli, "task", "show", key]],
        "status": [[*cli, "task", "start", key], [*cli, "task", "reset", key]],
    }
    return tool


def build_task_master(root: Path, n: int, ours: Tool) -> Tool | None:
    exe = shutil.which("task-master")
    if exe is None:
        return None
    folder = root / "task-master"
    target = folder / ".taskmaster" / "tasks" / "tasks.json"
    target.parent.mkdir(parents=True)
    subprocess.run(
        [*ours_command(), "export", str(target)], env=ours.env, check=True, capture_output=True
    )
    ident = str(probe_index(n) + 1)
    tool = Tool("task-master", folder, dict(os.environ))
    tool.commands = {
        "list": [[exe, "list"]],
        "next": [[exe, "next"]],
        "show": [[exe, "show", ident]],
        "status": [
            [exe, "set-status", f"--id={ident}", "--status=in-progress"],
            [exe, "set-status", f"--id={ident}", "--status=pending"],
        ],
    }
    return tool


def build_backlog(root: Path, n: int, ours: Tool) -> Tool | None:
    exe = shutil.which("backlog")
    if exe is None:
        return None
    folder = root / "backlog-md"
    folder.mkdir()
    subprocess.run(
        [*ours_command(), "export", "--format", "backlog", str(folder)],
        env=ours.env,
        check=True,
        capture_output=True,
    )
    ident = f"task-{probe_index(n) + 1}"
    tool = Tool("backlog.md", folder, dict(os.environ), note="next = list --ready --limit 1")
    tool.commands = {
        "list": [[exe, "task", "list", "--plain"]],
        "next": [[exe, "task", "list", "--ready", "--plain", "--limit", "1"]],
        "show": [[exe, "task", "view", ident, "--plain"]],
        "status": [
            [exe, "task", "edit", ident, "-s", "In Progress"],
            [exe, "task", "edit", ident, "-s", "To Do"],
        ],
    }
    return tool


def build_taskwarrior(root: Path, n: int, ours: Tool) -> Tool | None:
    exe = shutil.which("task")
    if exe is None:
        return None
    data = root / "taskwarrior"
    data.mkdir()
    rc = data / "taskrc"
    rc.write_text(f"data.location={data}\nconfirmation=off\nverbose=nothing\nnews.version=99\n")
    env = dict(os.environ, TASKRC=str(rc), TASKDATA=str(data))
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{i}")) for i in range(n)]
    records = []
    for t, ident in zip(plan_document(n)["tasks"], ids, strict=True):
        record = {
            "uuid": ident,
            "description": t["title"],
            "status": "completed" if t["status"] == "done" else "pending",
            "entry": "20250101T000000Z",
        }
        if t["status"] == "done":
            record["end"] = "20250101T000000Z"
        if "depends_on" in t:
            record["depends"] = ids[int(t["depends_on"][0].split("-")[1])]
        records.append(record)
    source = data / "import.json"
    source.write_text(json.dumps(records))
    subprocess.run([exe, "import", str(source)], env=env, check=True, capture_output=True)
    ident = ids[probe_index(n)]
    tool = Tool("taskwarrior", data, env, note="show = info")
    tool.commands = {
        "list": [[exe, "list"]],
        "next": [[exe, "next", "limit:1"]],
        "show": [[exe, ident, "info"]],
        "status": [[exe, ident, "start"], [exe, ident, "stop"]],
    }
    return tool


def median_of(tool: Tool, op: str, runs: int) -> float:
    argvs = tool.commands[op]
    times = [tool.run(argvs[r % len(argvs)]) for r in range(runs)]
    return statistics.median(times)


def measure(n: int, runs: int) -> dict[str, dict[str, float | str]]:
    """Median per tool and operation; a failing command is reported, not fatal."""
    results: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        root = Path(tmp)
        ours = build_ours(root, n)
        peers = [
            build(root, n, ours) for build in (build_task_master, build_backlog, build_taskwarrior)
        ]
        for tool in [ours, *peers]:
            if tool is None:
                continue
            row: dict[str, float | str] = {}
            for op in OPS:
                try:
                    row[op] = median_of(tool, op, runs)
                except RuntimeError as error:
                    row[op] = str(error).splitlines()[0][:100]
            results[tool.name] = row
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {args.runs} runs each")
    missing = [name for name in ("task-master", "backlog", "task") if not shutil.which(name)]
    for name in missing:
        print(f"skipped: {name} is not installed")
    missed = []
    for n in sizes:
        results = measure(n, args.runs)
        print(f"\n{n} tasks: median seconds per command (ratio = peer / ours)")
        print(f"  {'tool':<18}" + "".join(f"{op:>16}" for op in OPS))
        ours_row = results["orchestrator-tui"]
        for name, row in results.items():
            cells = []
            for op in OPS:
                value = row[op]
                if isinstance(value, str):
                    cells.append(f"{'failed':>16}")
                    continue
                base = ours_row[op]
                ratio = (
                    f" ({value / base:.1f}x)"
                    if name != "orchestrator-tui" and isinstance(base, float)
                    else ""
                )
                cells.append(f"{value:.3f}{ratio}".rjust(16))
            print(f"  {name:<18}" + "".join(cells))
            for op in OPS:
                if isinstance(row[op], str):
                    print(f"    {name} {op}: {row[op]}")
        if n == max(sizes):
            for op in GOAL_OPS:
                value = ours_row[op]
                ok = isinstance(value, float) and value <= GOAL_SECONDS
                shown = f"{value:.3f} s" if isinstance(value, float) else value
                print(
                    f"  goal: task {op} at {n} <= {GOAL_SECONDS} s: {shown}",
                    "ok" if ok else "MISSED",
                )
                if not ok:
                    missed.append(op)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
