"""Importing a generated 100k-task plan, against raw sqlite3 executemany of
the same rows into the same schema. Prints medians, each against its goal,
with the load average; exits 1 when a goal is missed. Not a test.

    python benchmarks/bench_import.py [--tasks 100000] [--runs 3] [--before FOLDER]

Each round times every line once, in turn, so all of them see the same load
on a shared machine; wall and CPU time are both shown (CPU time is the
process's own, which other people's work on the machine disturbs less). With
`--before FOLDER` (e.g. `git worktree add /tmp/old HEAD~5`) each round also
times that checkout's plan load and JSON import, in its own interpreter, and
this checkout's in a fresh interpreter as well (so both run alike).

Lines:
  raw executemany     tasks + dependencies rows, sqlite3, one transaction
  raw + event rows    the same plus one events row per task, as every write path records
  plan load           PlanService.load of the validated plan (the write path)
  import_path (json)  reading, validating and loading our JSON export file
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from orchestrator_tui.domain.natural import natural_key
from orchestrator_tui.domain.plan import PlanSpec
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.services.importers import import_path

NOW = datetime(2025, 1, 1, tzinfo=UTC)
#: Goals as multiples of raw executemany measured in the same run.
GOALS = {"plan load": 2.0, "import_path (json)": 2.5}
RAW = "raw executemany"


def document(n: int) -> dict:
    tasks = []
    for i in range(n):
        task = {
            "key": f"B-{i}",
            "title": f"Generated task {i}",
            "description": "x" * 40,
            "status": "done" if i % 3 == 0 else "pending",
            "tags": ["bench"],
            "extra": {"n": i},
            "source": "bench",
            "external_id": str(i),
            "created": NOW.isoformat(),
            "updated": NOW.isoformat(),
        }
        if i % 10:
            task["depends_on"] = [f"B-{i - 1}"]
        tasks.append(task)
    return {"version": 1, "name": "bench", "tasks": tasks}


def raw(db_path: Path, plan: PlanSpec, events: bool = False) -> None:
    """The same rows by hand: sqlite3 executemany, values serialised up front (each
    task's natural-order key too, as every writer of tasks must give it)."""
    now = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = []
    for i, t in enumerate(plan.tasks, start=1):
        done = t.status.value == "done"
        rows.append(
            (i, t.key, t.title, t.description, t.status.value, t.priority.value, "medium",
             "general", 1, json.dumps([]), 0, 0, 0, json.dumps(t.tags), json.dumps(t.extra),
             100 if done else 0, "", t.source, t.external_id, now, now, now if done else None,
             now if done else None, 1, natural_key(t.key))
        )  # fmt: skip
    index = {t.key: i for i, t in enumerate(plan.tasks, start=1)}
    deps = [(index[t.key], index[r.key], "blocks", now) for t in plan.tasks for r in t.depends_on]
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "INSERT INTO tasks (id, key, title, description, status, priority, complexity, "
        "component_area, phase, success_criteria, requires_approval, max_retries, attempts, "
        "tags, extra, progress, completion_summary, source, external_id, created_at, "
        "updated_at, started_at, completed_at, version, key_order) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    db.executemany(
        "INSERT INTO task_dependencies (task_id, depends_on_id, dep_type, created_at) "
        "VALUES (?,?,?,?)",
        deps,
    )
    if events:  # the TASK_CREATED audit rows the real path writes as well
        db.executemany(
            "INSERT INTO events (created_at, actor, kind, task_id, data) VALUES (?,?,?,?,?)",
            [
                (now, "bench", "task_created", i, json.dumps({"key": t.key, "title": t.title}))
                for i, t in enumerate(plan.tasks, start=1)
            ],
        )
    db.execute("COMMIT")
    db.close()


def timed(job: Callable[[Path], None]) -> tuple[float, float]:
    """(wall, CPU) seconds of `job` on a fresh empty database."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        open_orchestrator(str(path), "bench").close()  # empty schema, not timed
        wall, cpu = time.perf_counter(), time.process_time()
        job(path)
        return time.perf_counter() - wall, time.process_time() - cpu


def jobs(doc: dict, export: Path) -> dict[str, Callable[[Path], None]]:
    plan = PlanSpec.model_validate(doc)

    def load(path: Path) -> None:
        orch = open_orchestrator(str(path), "bench")
        orch.plans.load(plan, "bench")
        orch.close()

    def full(path: Path) -> None:
        orch = open_orchestrator(str(path), "bench")
        import_path(orch, export)
        orch.close()

    return {
        "raw executemany": lambda p: raw(p, plan),
        "raw + event rows": lambda p: raw(p, plan, events=True),
        "plan load": load,
        "import_path (json)": full,
    }


def other_checkout(folder: str, tasks: int, export: Path) -> dict[str, tuple[float, float]]:
    """One round of plan load and JSON import by the package in `folder` (an
    earlier commit), in its own interpreter, with this very script."""
    env = {**os.environ, "PYTHONPATH": folder}
    out = subprocess.run(
        [sys.executable, __file__, "--tasks", str(tasks), "--child", str(export)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name: (wall, cpu) for name, (wall, cpu) in json.loads(out).items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--before", metavar="FOLDER", help="also time the package in FOLDER (an earlier commit)"
    )
    parser.add_argument("--child", metavar="EXPORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    doc = document(args.tasks)
    if args.child:  # one round for --before, in the other checkout's interpreter
        mine = jobs(doc, Path(args.child))
        print(json.dumps({name: timed(mine[name]) for name in ("plan load", "import_path (json)")}))
        return 0
    times: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "plan.json"
        export.write_text(json.dumps(doc))
        mine = jobs(doc, export)
        here = str(Path(__file__).resolve().parents[1])
        for _ in range(args.runs):  # rounds, so every line sees the same machine load
            for name, job in mine.items():
                if args.before and name in GOALS:  # timed below, as the other checkout is
                    continue
                times.setdefault(name, []).append(timed(job))
            if args.before:
                # this checkout's lines in a fresh interpreter too: timed in this process,
                # which holds the plan and has run the raw lines, they took ~7% longer
                for name, took in other_checkout(here, args.tasks, export).items():
                    times.setdefault(name, []).append(took)
                for name, took in other_checkout(args.before, args.tasks, export).items():
                    times.setdefault(f"{name}, before", []).append(took)
    wall = {name: statistics.median(t[0] for t in ts) for name, ts in times.items()}
    cpu = {name: statistics.median(t[1] for t in ts) for name, ts in times.items()}
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.tasks} tasks, median of {args.runs} rounds (load average {load})")
    print(f"{'':<27} {'wall':>8} {'ratio':>6}   {'CPU':>7} {'ratio':>6}")
    missed = 0
    for name in times:
        ratio, cpu_ratio = wall[name] / wall[RAW], cpu[name] / cpu[RAW]
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            verdict = f"goal <= {goal}x: {'met' if ratio <= goal else 'MISSED'}"
            missed += ratio > goal
        print(
            f"{name:<27} {wall[name]:7.2f}s {ratio:5.2f}x   "
            f"{cpu[name]:6.2f}s {cpu_ratio:5.2f}x   {verdict}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
