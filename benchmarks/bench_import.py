"""Importing a generated 100k-task plan, against raw sqlite3 executemany of
the same rows into the same schema. Prints medians, each against its goal,
with the load average; exits 1 when a goal is missed. Not a test.

    python benchmarks/bench_import.py [--tasks 100000] [--runs 3]

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
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from orchestrator_tui.domain.plan import PlanSpec
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.services.importers import import_path

NOW = datetime(2025, 1, 1, tzinfo=UTC)
#: Goals as multiples of raw executemany measured in the same run.
GOALS = {"plan load": 2.0, "import_path (json)": 2.5}


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
    """The same rows by hand: sqlite3 executemany, values serialised up front."""
    now = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = []
    for i, t in enumerate(plan.tasks, start=1):
        done = t.status.value == "done"
        rows.append(
            (i, t.key, t.title, t.description, t.status.value, t.priority.value, "medium",
             "general", 1, json.dumps([]), 0, 0, 0, json.dumps(t.tags), json.dumps(t.extra),
             100 if done else 0, "", t.source, t.external_id, now, now, now if done else None,
             now if done else None, 1)
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
        "updated_at, started_at, completed_at, version) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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


def timed(runs: int, job: Callable[[Path], None]) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            open_orchestrator(str(path), "bench").close()  # empty schema, not timed
            start = time.perf_counter()
            job(path)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    doc = document(args.tasks)
    plan = PlanSpec.model_validate(doc)
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "plan.json"
        export.write_text(json.dumps(doc))

        def load(path: Path) -> None:
            orch = open_orchestrator(str(path), "bench")
            orch.plans.load(plan, "bench")
            orch.close()

        def full(path: Path) -> None:
            orch = open_orchestrator(str(path), "bench")
            import_path(orch, export)
            orch.close()

        base = timed(args.runs, lambda p: raw(p, plan))
        with_events = timed(args.runs, lambda p: raw(p, plan, events=True))
        ours = timed(args.runs, load)
        whole = timed(args.runs, full)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.tasks} tasks, median of {args.runs} (load average {load})")
    print(f"raw executemany     {base:6.2f} s  (tasks and dependencies)")
    print(f"raw + event rows    {with_events:6.2f} s  ({with_events / base:.2f}x raw)")
    missed = 0
    for name, took in (("plan load", ours), ("import_path (json)", whole)):
        ratio, goal = took / base, GOALS[name]
        verdict = "met" if ratio <= goal else "MISSED"
        missed += ratio > goal
        print(f"{name:<19} {took:6.2f} s  ({ratio:.2f}x raw; goal <= {goal}x: {verdict})")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
