"""CLI benchmark (a script, not a test): the commands an agent calls in a loop, each
a fresh process, at 1k and 10k tasks, against the peers when they are installed
(`task-master`, `backlog`, `task` from taskwarrior) on the same generated tasks.

Prints the median wall time of each command, Python's bare start-up as the floor,
and exits 1 when `task next` or `task show` at the largest size misses its goal.

    python benchmarks/bench_cli.py [--sizes 1000,10000] [--repeat 7] [--peer-repeat 3]
                                   [--no-peers]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestrator_tui.domain.plan import PlanSpec  # noqa: E402
from orchestrator_tui.services import open_orchestrator  # noqa: E402

#: How the command is started (this checkout's package first on the path).
CLI = [sys.executable, "-m", "orchestrator_tui"]
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

#: A command slower than this is reported as skipped (a slow peer at 10k tasks).
PEER_TIMEOUT_SECONDS = 120

#: `task next` and `task show` at the largest size, in seconds.
GOAL_SECONDS = 0.25


def make_tasks(n: int, seed: int = 1) -> list[dict]:
    """n tasks; each waits for up to two of the 200 before it; the first fifth done."""
    rng = random.Random(seed)
    priorities = ["low", "medium", "medium", "high", "critical"]
    tasks = []
    for i in range(n):
        window = range(max(0, i - 200), i)
        deps = [f"T-{j}" for j in sorted(rng.sample(window, min(2, len(window))))]
        tasks.append(
            {
                "key": f"T-{i}",
                "title": f"task {i}: do the thing number {i}",
                "description": f"Details of task {i}.\nSecond line.",
                "priority": rng.choice(priorities),
                "status": "done" if i < n // 5 else "pending",
                "depends_on": deps,
            }
        )
    return tasks


def make_plan(n: int) -> PlanSpec:
    return PlanSpec.model_validate({"name": f"cli-{n}", "tasks": make_tasks(n)})


#: The CPU seconds (user + system) of every timed command, by command line: on a
#: busy shared machine they move much less than wall times.
CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    argv: Sequence[str], repeat: int, cwd: Path | None = None, env: dict | None = None
) -> float:
    times = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), _children_cpu()
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=PEER_TIMEOUT_SECONDS,
        )
        times.append(time.perf_counter() - start)
        CPU.setdefault(" ".join(argv), []).append(_children_cpu() - cpu)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr[-300:]}")
    return statistics.median(times)


def ours(folder: Path, n: int, repeat: int) -> dict[str, float]:
    db = folder / "ours.db"
    orch = open_orchestrator(str(db), "bench")
    orch.plans.load(make_plan(n), "bench")
    ready = orch.queries.next_ready()
    assert ready is not None
    orch.close()
    base = [*CLI, "--db", str(db)]
    show = f"T-{n // 2}"
    start, reset = [*base, "task", "start", ready.key], [*base, "task", "reset", ready.key]
    figures = {
        "list": timed([*base, "task", "list"], repeat),
        "next": timed([*base, "task", "next"], repeat),
        "show": timed([*base, "task", "show", show], repeat),
        "next cpu": statistics.median(CPU[" ".join([*base, "task", "next"])]),
        "show cpu": statistics.median(CPU[" ".join([*base, "task", "show", show])]),
        "next --json": timed([*base, "task", "next", "--json"], repeat),
        "show --json": timed([*base, "task", "show", show, "--json"], repeat),
    }
    changes = []
    for _ in range(repeat):  # one status change each way
        changes += [timed(start, 1), timed(reset, 1)]
    figures["status change"] = statistics.median(changes)
    figures["status change cpu"] = statistics.median(CPU[" ".join(start)] + CPU[" ".join(reset)])
    return figures


def _export(folder: Path, fmt: str, target: Path) -> None:
    subprocess.run(
        [*CLI, "--db", str(folder / "ours.db"), "export", str(target), "--format", fmt],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def task_master(folder: Path, n: int, repeat: int) -> dict[str, float] | str:
    exe = shutil.which("task-master")
    if exe is None:
        return "not installed"
    project = folder / "tm"
    tasks_json = project / ".taskmaster" / "tasks" / "tasks.json"
    tasks_json.parent.mkdir(parents=True)
    _export(folder, "task-master", tasks_json)
    data = json.loads(tasks_json.read_text())
    tasks = next(iter(data.values()))["tasks"] if "tasks" not in data else data["tasks"]
    some = str(tasks[len(tasks) // 2]["id"])
    pending = next(str(t["id"]) for t in tasks if t.get("status") == "pending")
    env = {**os.environ, "NO_COLOR": "1"}
    return {
        "list": timed([exe, "list"], repeat, project, env),
        "next": timed([exe, "next"], repeat, project, env),
        "show": timed([exe, "show", some], repeat, project, env),
        "status change": statistics.median(
            [
                timed([exe, "set-status", f"--id={pending}", f"--status={s}"], 1, project, env)
                for s in ["in-progress", "pending"] * max(1, repeat // 2)
            ]
        ),
    }


def backlog(folder: Path, n: int, repeat: int) -> dict[str, float] | str:
    exe = shutil.which("backlog")
    if exe is None:
        return "not installed"
    project = folder / "bl"
    project.mkdir()
    _export(folder, "backlog", project)  # writes project/backlog/
    files = sorted((project / "backlog" / "tasks").glob("*.md"))
    some = files[len(files) // 2].name.split(" ")[0]
    env = {**os.environ, "NO_COLOR": "1"}
    return {
        "list": timed([exe, "task", "list", "--plain"], repeat, project, env),
        "show": timed([exe, "task", some, "--plain"], repeat, project, env),
        "status change": statistics.median(
            [
                timed([exe, "task", "edit", some, "-s", s], 1, project, env)
                for s in ["Done", "To Do"] * max(1, repeat // 2)
            ]
        ),
    }


def taskwarrior(folder: Path, n: int, repeat: int) -> dict[str, float] | str:
    exe = shutil.which("task")
    if exe is None:
        return "not installed"
    data = folder / "tw"
    data.mkdir()
    rc = folder / "taskrc"
    rc.write_text(
        f"data.location={data}\nconfirmation=off\nverbose=nothing\nrecurrence=off\n"
        "hooks=off\ngc=off\n"
    )
    env = {**os.environ, "TASKRC": str(rc), "NO_COLOR": "1"}
    tasks = make_tasks(n)
    rng = random.Random(2)
    records = []
    for t in tasks:
        u = f"{rng.getrandbits(128):032x}"
        records.append(
            {
                "uuid": f"{u[:8]}-{u[8:12]}-4{u[13:16]}-8{u[17:20]}-{u[20:32]}",
                "description": t["title"],
                "status": "completed" if t["status"] == "done" else "pending",
                "entry": "20260101T000000Z",
                "priority": {"low": "L", "medium": "M"}.get(t["priority"], "H"),
            }
        )
    by_key = {t["key"]: r["uuid"] for t, r in zip(tasks, records, strict=True)}
    for t, r in zip(tasks, records, strict=True):
        if t["depends_on"]:
            r["depends"] = ",".join(by_key[d] for d in t["depends_on"])
    subprocess.run(
        [exe, "import"], input=json.dumps(records), text=True, env=env, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    some = str(n // 4)
    return {
        "list": timed([exe, "list"], repeat, None, env),
        "next": timed([exe, "next"], repeat, None, env),
        "show": timed([exe, some, "info"], repeat, None, env),
        "status change": statistics.median(
            [
                timed([exe, some, verb], 1, None, env)
                for verb in ["start", "stop"] * max(1, repeat // 2)
            ]
        ),
    }


def _show(name: str, figures: dict[str, float] | str) -> None:
    if isinstance(figures, str):
        print(f"  {name:18} {figures}", flush=True)
    else:
        cells = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures.items())
        print(f"  {name:18} {cells}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--peer-repeat", type=int, default=3, help="runs per peer command")
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.repeat} runs, each a process")
    floor = timed([sys.executable, "-c", "pass"], args.repeat)
    floor_cpu = statistics.median(CPU[f"{sys.executable} -c pass"])
    print(f"python start-up (the floor): {floor * 1000:.0f} ms, cpu {floor_cpu * 1000:.0f} ms")
    missed = False
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            print(f"\n{n} tasks", flush=True)
            mine = ours(folder, n, args.repeat)
            _show("orchestrator-tui", mine)
            if n == max(sizes):
                worst = max(mine["next"], mine["show"])
                verdict = "met" if worst <= GOAL_SECONDS else "MISSED"
                print(f"  goal: next and show <= {GOAL_SECONDS * 1000:.0f} ms: {verdict}")
                missed = worst > GOAL_SECONDS
            if args.no_peers:
                continue
            for name, peer in (
                ("task-master", task_master),
                ("backlog", backlog),
                ("taskwarrior", taskwarrior),
            ):
                try:
                    _show(name, peer(folder, n, args.peer_repeat))
                except Exception as exc:  # a peer that cannot run here is a note
                    _show(name, f"skipped: {str(exc)[:160]}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
