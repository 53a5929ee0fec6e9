"""The "Python floor" printed beside the runner by `bench_runner.py` (a reference,
not a second runner: nothing in the product uses it).

The least a Python program does to run the DAG's `true` commands N at a time
from threads AND record in the project's SQLite schema what the runner records
for each task, with the standard `sqlite3` module and one transaction per
round (settle the runs that ended, claim for the freed slots):

- claim: a compare-and-set pending -> in_progress (the lease, the attempt, its
  blockers re-checked in the statement) with its `status_changed` event, a run
  row and its `run_started` event;
- finish: the run closed (status, exit code, pid), a compare-and-set in_progress
  -> done with its `run_finished` and `status_changed` events, and an `unblocked`
  event for each dependent it made ready.

Each child runs through `subprocess.Popen` (output captured, as a runner must)
on a pool thread; like the runner, a round waits up to 4 ms for more runs to end.
Not done here and done by the runner: unknown priority words, plan budgets and
agent types in the claim, a run's attempt counted, failures and retries,
approval, questions, leases renewed, the process's start stamp and host (the pid
is stored with the run's end), log lines, hooks and notifications.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

#: A task's blockers are all done (the ready rule, for the alias `t`).
_BLOCKERS_DONE = (
    "NOT EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks b ON b.id = d.depends_on_id "
    "WHERE d.task_id = t.id AND d.dep_type = 'blocks' AND b.status != 'done')"
)
_READY = (
    "t.status = 'pending' AND t.command IS NOT NULL "
    f"AND (t.retry_after IS NULL OR t.retry_after <= ?1) AND {_BLOCKERS_DONE}"
)
#: Ready tasks by priority then id: each priority word's rows in id order from the
#: (status, priority) index, stopping at the limit (as the runner reads them).
_CANDIDATES = (
    " UNION ALL ".join(
        f"SELECT * FROM (SELECT t.id, {rank} AS rank FROM tasks t WHERE t.priority = '{word}' "
        f"AND {_READY} ORDER BY t.id LIMIT ?2)"
        for rank, word in enumerate(("low", "medium", "high", "critical"))
    )
    + " ORDER BY rank DESC, id LIMIT ?2"
)
_EVENT = "INSERT INTO events (created_at, actor, kind, task_id, run_id, data) VALUES (?,?,?,?,?,?)"
_RUN = (
    "INSERT INTO runs (execution_id, task_id, agent, attempt, status, command, started_at, "
    "outputs) VALUES (?, ?, ?, 1, 'running', '[\"true\"]', ?, '{}')"
)
_CLOSE = (
    "UPDATE runs SET status = ?, ended_at = ?, exit_code = ?, pid = ? "
    "WHERE id = ? AND status = 'running'"
)
_UNBLOCKED = (
    "WITH moved AS MATERIALIZED (SELECT task_id, depends_on_id FROM task_dependencies "
    "WHERE depends_on_id IN ({}) AND dep_type = 'blocks') SELECT m.depends_on_id, t.id "
    "FROM moved m JOIN tasks t ON t.id = m.task_id "
    f"WHERE t.status = 'pending' AND {_BLOCKERS_DONE} ORDER BY t.id"
)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # as the schema's times are stored


#: A run that ended: task id, run id, pid, exit code, when it was handed to a thread.
Ended = tuple[int, int, int, int, float]


def _run(task_id: int, run_id: int, started: float, done: queue.SimpleQueue[Ended]) -> None:
    child = subprocess.Popen(
        ["true"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    child.communicate()
    done.put((task_id, run_id, child.pid, child.returncode, started))


class _Round:
    """One transaction: settle `ended`, then claim up to `free` ready tasks."""

    def __init__(self, db: sqlite3.Connection, actor: str) -> None:
        self.db, self.actor = db, actor
        self.keys = dict(db.execute("SELECT id, key FROM tasks"))  # for the events' text

    def __call__(self, ended: list[Ended], free: int) -> list[tuple[int, int]]:
        db, actor, moment = self.db, self.actor, datetime.now(UTC)
        now, events = _stamp(moment), list[tuple[Any, ...]]()
        db.execute("BEGIN IMMEDIATE")
        if ended:
            closing, ids = [], []
            for task_id, run_id, pid, code, handed in ended:
                assert code == 0, "the floor runs `true` only"
                status = "succeeded"
                closing.append((status, now, code, pid, run_id))
                ids.append(task_id)
                finished = {
                    "message": f"run {run_id} {status} (exit {code})",
                    "status": status,
                    "exit_code": code,
                    "duration_seconds": round(time.monotonic() - handed, 6),
                }
                events.append((now, actor, "run_finished", task_id, run_id, json.dumps(finished)))
            db.executemany(_CLOSE, closing)
            marks = ",".join("?" * len(ids))
            finishes = db.execute(
                "UPDATE tasks SET status = 'done', updated_at = ?, completed_at = ?, progress = "
                "100, retry_after = NULL, lease_owner = NULL, lease_expires_at = NULL, version = "
                f"version + 1 WHERE id IN ({marks}) AND status = 'in_progress' RETURNING id",
                [now, now, *ids],
            ).fetchall()
            assert len(finishes) == len(ids), "a finish lost its compare-and-set"
            done = json.dumps({"from": "in_progress", "to": "done"})
            events += [(now, actor, "status_changed", t, None, done) for t in ids]
            seen: set[int] = set()
            for by, task_id in db.execute(_UNBLOCKED.format(marks), ids):
                if task_id not in seen:
                    seen.add(task_id)
                    key = self.keys[by]
                    data = json.dumps({"by": key, "message": f"{key} done"})
                    events.append((now, actor, "unblocked", task_id, None, data))
        claims: list[tuple[int, int]] = []
        if free > 0:
            ready = [r[0] for r in db.execute(_CANDIDATES, (now, free))]
            if ready:
                marks = ",".join("?" * len(ready))
                lease = _stamp(moment + timedelta(seconds=60))
                taken = db.execute(
                    "UPDATE tasks AS t SET status = 'in_progress', updated_at = ?, started_at = ?, "
                    "lease_owner = ?, lease_expires_at = ?, attempts = 1, retry_after = NULL, "
                    f"version = version + 1 WHERE id IN ({marks}) AND status = 'pending' "
                    f"AND {_BLOCKERS_DONE} RETURNING id",
                    [now, now, actor, lease, *ready],
                ).fetchall()
                for (task_id,) in sorted(taken):
                    cursor = db.execute(_RUN, (str(uuid.uuid4()), task_id, actor, now))
                    run_id = int(cursor.lastrowid or 0)
                    claim = {"from": "pending", "to": "in_progress", "reason": f"run {run_id}"}
                    opened = {
                        "message": f"run {run_id} (attempt 1) started by {actor}",
                        "attempt": 1,
                        "argv": ["true"],
                    }
                    events.append(
                        (now, actor, "status_changed", task_id, run_id, json.dumps(claim))
                    )
                    events.append((now, actor, "run_started", task_id, run_id, json.dumps(opened)))
                    claims.append((task_id, run_id))
        db.executemany(_EVENT, events)
        db.execute("COMMIT")
        return claims


def python_floor(path: str, parallel: int, gather: float = 0.004) -> float:
    """Run every ready task of the SQLite file `path` (`true` each) to the end; the
    seconds it took."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("busy_timeout = 5000", "foreign_keys = ON", "synchronous = NORMAL"):
        db.execute(f"PRAGMA {pragma}")
    ended: queue.SimpleQueue[Ended] = queue.SimpleQueue()
    start = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        round_ = _Round(db, "floor-runner")
        running, done = 0, list[Ended]()
        while True:
            for task_id, run_id in round_(done, parallel - running + len(done)):
                pool.submit(_run, task_id, run_id, time.monotonic(), ended)
                running += 1
            running -= len(done)
            if not running:
                break
            done = [ended.get()]
            deadline = time.monotonic() + gather
            while len(done) < running and (left := deadline - time.monotonic()) > 0:
                try:
                    done.append(ended.get(timeout=left))
                except queue.Empty:
                    break
    took = time.perf_counter() - start
    db.close()
    return took
