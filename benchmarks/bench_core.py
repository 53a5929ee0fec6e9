"""Core benchmark: a 100k-task plan with 200k dependencies.

Measures, in one run on one database file:
- seeding through the plan loader (validation, then the all-or-nothing load),
- the ready-set, next-ready and critical-path queries,
- a page of the task list filtered to ready tasks (what the TUI asks for),
- the dashboard statistics and a task's dependency tree,
- single status transitions (start, then reset; the median of many).

Every figure is the median of several repetitions. The "x scan" column divides
each median by the time of a plain scan of the tasks table measured in the same
run, so figures from a busy machine stay comparable.

    python benchmarks/bench_core.py [--tasks 100000] [--deps-per-task 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestrator_tui.domain.enums import Readiness, TaskStatus  # noqa: E402
from orchestrator_tui.domain.plan import PlanSpec  # noqa: E402
from orchestrator_tui.services import Orchestrator, TaskFilter, open_orchestrator  # noqa: E402


def median_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_plan(n: int, per_task: int, seed: int = 1) -> dict:
    """Tasks in phases of 10k; each waits for `per_task` random earlier tasks
    among the previous 2000, so chains are long and the graph is wide. The
    first 30% are done, a few are in progress."""
    rng = random.Random(seed)
    priorities = ["low", "medium", "medium", "high", "critical"]
    tasks = []
    for i in range(n):
        window = range(max(0, i - 2000), i)
        count = min(per_task, len(window))
        deps = [f"B-{j}" for j in sorted(rng.sample(window, count))] if count else []
        status = "done" if i < 0.3 * n else ("in_progress" if i % 997 == 0 else "pending")
        tasks.append(
            {
                "key": f"B-{i}",
                "title": f"Benchmark task {i}",
                "status": status,
                "priority": priorities[i % len(priorities)],
                "phase": 1 + i // 10_000,
                "estimated_hours": float(1 + i % 8),
                "assignee": f"agent-{i % 25}",
                "depends_on": deps,
            }
        )
    # top up to exactly n * per_task dependencies where the first tasks had fewer
    missing = n * per_task - sum(len(t["depends_on"]) for t in tasks)
    i = n - 1
    while missing > 0 and i > 2000:
        have = set(tasks[i]["depends_on"])
        extra = f"B-{rng.randrange(i - 2000, i)}"
        if extra not in have:
            tasks[i]["depends_on"].append(extra)
            missing -= 1
        i -= 1
    return {"name": "bench", "tasks": tasks}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--deps-per-task", type=int, default=2)
    ap.add_argument("--keep", help="folder to keep the database in (default: a temp folder)")
    args = ap.parse_args()

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-core-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rows: list[tuple[str, float, str]] = []

    def record(name: str, seconds: float, note: str = "") -> None:
        rows.append((name, seconds, note))
        print(f"  {name:<44} {seconds * 1000:10.1f} ms  {note}", flush=True)

    print(f"building a plan of {args.tasks} tasks ...", flush=True)
    raw = make_plan(args.tasks, args.deps_per_task)
    n_deps = sum(len(t["depends_on"]) for t in raw["tasks"])
    orch: Orchestrator = open_orchestrator(str(path), "bench")

    start = time.perf_counter()
    plan = PlanSpec.model_validate(raw)
    record("validate plan (pydantic)", time.perf_counter() - start, f"{args.tasks} tasks")
    start = time.perf_counter()
    result = orch.plans.load(plan, "bench")
    record(
        "load plan (check + insert, one transaction)",
        time.perf_counter() - start,
        f"{result.tasks} tasks, {result.dependencies} deps",
    )
    assert result.dependencies == n_deps
    size = path.stat().st_size / 1e6
    print(f"database: {path} ({size:.0f} MB)", flush=True)

    def scan() -> None:
        with orch.db.read() as conn:
            conn.execute(text("SELECT id, status FROM tasks")).all()

    baseline = median_of(scan, 7)
    record("baseline: scan id, status of every task", baseline)

    q = orch.queries
    ready = TaskFilter(readiness=frozenset({Readiness.READY}))
    n_ready = len(q.ready_keys())
    cases: list[tuple[str, Callable[[], object], int, str]] = [
        ("ready set (ready_keys)", q.ready_keys, 5, f"{n_ready} ready"),
        ("count ready (count_tasks)", lambda: q.count_tasks(ready), 5, ""),
        ("first page of ready tasks (50 rows)", lambda: q.list_tasks(ready, limit=50), 5, ""),
        ("first page of all tasks (50 rows)", lambda: q.list_tasks(limit=50), 7, ""),
        (
            "page deep in the list (offset 90k)",
            lambda: q.list_tasks(limit=50, offset=90_000),
            5,
            "",
        ),
        ("next_ready", q.next_ready, 5, ""),
        ("critical path", q.critical_path, 3, ""),
        ("dashboard stats", orch.dashboard.stats, 3, ""),
        ("task detail", lambda: q.get_task(f"B-{args.tasks // 2}"), 9, ""),
        ("upstream tree of a task", lambda: q.tree(f"B-{args.tasks - 1}", upstream=True), 3, ""),
        ("timeline of a task", lambda: q.timeline(f"B-{args.tasks // 2}"), 9, ""),
        ("last_event_id (change feed poll)", q.last_event_id, 21, ""),
    ]
    for name, fn, repeat, note in cases:
        record(name, median_of(fn, repeat), note)

    path_keys, hours = q.critical_path()
    print(f"  critical path: {len(path_keys)} tasks, {hours:g} h", flush=True)

    # single transitions on ready tasks: start, then reset it (both timed)
    keys = q.ready_keys()[:200]
    starts, resets = [], []
    for key in keys:
        t0 = time.perf_counter()
        orch.tasks.start(key)
        t1 = time.perf_counter()
        orch.tasks.reset(key)
        t2 = time.perf_counter()
        starts.append(t1 - t0)
        resets.append(t2 - t1)
    record("status transition: start (median of 200)", statistics.median(starts))
    record("status transition: reset (median of 200)", statistics.median(resets))
    done_times = []
    for key in keys[:50]:
        orch.tasks.start(key)
        t0 = time.perf_counter()
        orch.tasks.complete(key)  # also records unblocked events for dependents
        done_times.append(time.perf_counter() - t0)
    record("status transition: done (median of 50)", statistics.median(done_times))
    assert q.get_task(keys[0]).status is TaskStatus.DONE

    print()
    print(f"{'measure':<46} {'median':>10}  {'x scan':>7}")
    for name, seconds, _ in rows:
        print(f"{name:<46} {seconds * 1000:8.1f} ms  {seconds / baseline:7.1f}")
    orch.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
