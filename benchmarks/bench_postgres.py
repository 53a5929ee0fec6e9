"""PostgreSQL against SQLite for teams: claims, end-to-end runs, change visibility.

For 1, 2, 4 and 8 runner processes on each database (a fresh one each time):
- claims per second: processes claiming ready tasks one at a time through the
  service (`runs.claim`: SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite)
  until none is left;
- tasks per second end to end: `orchestrator-tui run --until-idle` processes
  running N tasks whose command is `true`.
Then how soon a committed change is seen by a reader: PostgreSQL LISTEN/NOTIFY
against polling `last_event_id` every 0.4 s (the TUI's interval); median and p95;
and on PostgreSQL alone, how soon a pushed change reaches the TUI's screen with
polling off, and how long a claim takes while another transaction holds the first
ready rows (SKIP LOCKED: it must not wait for them). Figures with a goal are
printed against it; a missed goal makes the run exit 1.

    python benchmarks/bench_postgres.py --pg postgresql+psycopg://orch:orch@127.0.0.1/postgres \\
        [--tasks 2000] [--runners 1 2 4 8] [--changes 30]

`--pg` is a superuser URL: scratch databases are created and dropped on it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestrator_tui.domain.models import TaskSpec  # noqa: E402
from orchestrator_tui.domain.plan import PlanSpec  # noqa: E402
from orchestrator_tui.services import open_orchestrator, run_batch  # noqa: E402

POLL_SECONDS = 0.4

#: Goals in seconds (medians): the bounds the tests of these paths once asserted.
GOALS = {"LISTEN/NOTIFY": 1.0, "pushed to the screen": 5.0, "claim beside held rows": 2.0}


@contextmanager
def fresh(backend: str, pg: str | None, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"
        return
    assert pg
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def load(url: str, tasks: int) -> None:
    orch = open_orchestrator(url, "bench")
    specs = [
        {"key": f"B-{i}", "title": f"b {i}", "command": {"argv": ["true"]}} for i in range(tasks)
    ]
    orch.plans.load(PlanSpec(tasks=specs), "bench")
    orch.close()


def claimer(url: str, owner: str, barrier: object, out: object) -> None:
    orch = open_orchestrator(url, owner)
    barrier.wait()  # type: ignore[attr-defined]
    won = 0
    while orch.runs.claim(owner, 300, limit=1, agent_types=None):
        won += 1
    orch.close()
    out.put(won)  # type: ignore[attr-defined]


def claims_per_second(url: str, processes: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(processes + 1), ctx.Queue()
    procs = [
        ctx.Process(target=claimer, args=(url, f"c{i}", barrier, out)) for i in range(processes)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    started = time.perf_counter()
    total = sum(out.get() for _ in procs)
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join()
    return total / elapsed


def tasks_per_second(url: str, processes: int, tasks: int) -> float:
    argv = [sys.executable, "-m", "orchestrator_tui", "run", "--db", url, "--until-idle"]
    argv += ["--max-parallel", "8", "--poll-seconds", "0.05"]
    started = time.perf_counter()
    procs = [
        subprocess.Popen([*argv, "--agent", f"r{i}"], stdout=subprocess.DEVNULL)
        for i in range(processes)
    ]
    for p in procs:
        assert p.wait() == 0
    return tasks / (time.perf_counter() - started)


def visibility(url: str, changes: int, push: bool) -> list[float]:
    """Seconds from a commit to a reader noticing it, for each of `changes` commits."""
    reader, writer = open_orchestrator(url, "reader"), open_orchestrator(url, "writer")
    seen = threading.Event()
    last = [reader.queries.last_event_id()]
    stop = threading.Event()

    def look() -> None:
        now = reader.queries.last_event_id()
        if now != last[0]:
            last[0] = now
            seen.set()

    if push:
        listener = reader.listen(look)
        assert listener is not None and listener.listening.wait(10)
    else:

        def poll() -> None:
            while not stop.is_set():
                look()
                stop.wait(POLL_SECONDS)

        threading.Thread(target=poll, daemon=True).start()
    times = []
    for i in range(changes):
        time.sleep(0.05 + (i % 7) * 0.053)  # land at varied points of the poll cycle
        seen.clear()
        started = time.perf_counter()
        writer.tasks.create(TaskSpec(key=f"V{int(push)}-{i}", title="visible?"))
        assert seen.wait(10)
        times.append(time.perf_counter() - started)
    stop.set()
    if push:
        listener.stop()
    reader.close()
    writer.close()
    return times


def claim_beside_held(url: str, rounds: int) -> list[float]:
    """Seconds a claim takes while another transaction holds the first two ready
    tasks (it must take the third without waiting for them)."""
    orch = open_orchestrator(url, "left")
    other = orch.as_actor("right")
    times = []
    for i in range(rounds):
        specs = [
            {"key": f"H{i}-{j}", "title": "held", "command": {"argv": ["true"]}} for j in range(3)
        ]
        orch.plans.load(PlanSpec(tasks=specs), f"held-{i}")
        with orch.db.write() as conn:
            held = run_batch.candidates(conn, datetime.now(UTC), 2, None)
            started = time.perf_counter()
            claims = other.runs.claim("right", 30, limit=3, agent_types=None)
            times.append(time.perf_counter() - started)
        free = {f"H{i}-{j}" for j in range(3)} - {r.key for r in held}
        assert {c.key for c in claims} == free, (claims, held)
        other.runs.claim("right", 30, limit=10, agent_types=None)  # the held ones too
    orch.close()
    return times


def screen_push(url: str, changes: int) -> list[float]:
    """Seconds from a commit to the TUI (polling off) showing it, for each change."""
    from benchmarks.app_driver import main_screen, settle, wait_until
    from orchestrator_tui.app import make_app

    async def run() -> list[float]:
        writer = open_orchestrator(url, "writer")
        app = make_app(url, "reader", poll_interval=None)
        times = []
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            await wait_until(
                pilot,
                lambda: app._listener is not None and app._listener.listening.is_set(),
                "LISTEN",
            )
            table = main_screen(app).table
            for i in range(changes):
                await settle(pilot)
                shown = table.total
                started = time.perf_counter()
                writer.tasks.create(TaskSpec(key=f"S-{i}", title="on screen?"))
                await wait_until(
                    pilot, lambda shown=shown: table.total > shown, "the pushed row", 60
                )
                times.append(time.perf_counter() - started)
        writer.close()
        return times

    return asyncio.run(run())


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", required=True)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--runners", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--changes", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{'database':<10} {'runners':>7} {'claims/s':>9} {'tasks/s':>8}")
        for backend in ("sqlite", "postgresql"):
            for n in args.runners:
                with fresh(backend, args.pg, folder) as url:
                    load(url, args.tasks)
                    claims = claims_per_second(url, n)
                with fresh(backend, args.pg, folder) as url:
                    load(url, args.tasks)
                    runs = tasks_per_second(url, n, args.tasks)
                print(f"{backend:<10} {n:>7} {claims:>9.0f} {runs:>8.0f}", flush=True)
        print(f"\nchange visible to a reader ({args.changes} commits), ms: median / p95  goal")
        figures: dict[str, list[float]] = {}
        with fresh("postgresql", args.pg, folder) as url:
            for label, push in (("LISTEN/NOTIFY", True), (f"polling {POLL_SECONDS}s", False)):
                figures[label] = visibility(url, args.changes, push)
        with fresh("postgresql", args.pg, folder) as url:
            load(url, 100)
            figures["pushed to the screen"] = screen_push(url, min(args.changes, 10))
        with fresh("postgresql", args.pg, folder) as url:
            figures["claim beside held rows"] = claim_beside_held(url, args.changes)
    missed = 0
    for label, t in figures.items():
        goal = ""
        if label in GOALS:
            ok = statistics.median(t) <= GOALS[label]
            missed += not ok
            goal = f"  {'ok' if ok else 'MISSED'} (<= {GOALS[label] * 1000:.0f} ms)"
        median, high = statistics.median(t) * 1000, p95(t) * 1000
        print(f"{label:<22} {median:7.1f} / {high:7.1f}{goal}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
