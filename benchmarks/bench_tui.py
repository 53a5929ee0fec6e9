"""TUI benchmark: the real app in a pseudo-terminal, against a bare Textual reference.

    python benchmarks/bench_tui.py [--sizes 1000,10000,100000] [--keys 30]
        [--only keys] [--before FOLDER [--rounds 3]] [--idle 10]

For 1k, 10k and 100k tasks (with twice as many dependencies) it seeds a database
with bulk inserts, spawns `python -m orchestrator_tui --db X` in a pseudo-terminal
and measures, from the bytes the app writes:

- first frame: process start until the first task row appears in the output (the
  app's modules byte-compiled first, as an installed wheel's are), its ratio to an
  empty Textual app's in the same run (goal 1.5x), and the CPU the main thread had
  used by then (steadier than the wall clock on a loaded machine);
- cursor / filter keys: key written until the end of the frame it causes;
- idle CPU: the CPU the whole process uses per second while nobody types and nothing
  changes (`--idle` seconds, after the keys): the change feed's polls and timers;
- status change: key until the frame showing the new status and the row's
  commit in the database (the app: STATUS_SAMPLES times, reset in between);
- external change: another connection edits a visible task (through the
  services, so the change feed moves) until the new title is drawn;
- peak memory: the process's VmHWM;
- new log line: with a running run selected (the log pane following it), a line
  stored by another process (as a runner stores it: no event row) until drawn.

Frames are delimited by synchronized-output markers: the harness answers the
app's `CSI ? 2026 $ p` query, so Textual wraps each frame in `CSI ? 2026 h/l`.
A bare Textual app showing the same rows in a stock DataTable runs as the
reference (and an app drawing one line of text as Textual's floor), and the
execution log pane is measured in the app on a run with 100k lines.

`--only keys` measures the first frame and the cursor and filter keys alone (no
status change, external change, log pane or empty app). `--before FOLDER` also
runs the app from an earlier checkout (with `--only keys`, or on its own for every
figure but the log pane's) (`git worktree add FOLDER COMMIT`), the two
started in turn `--rounds` times on copies of the same database, so both see the
same minutes of the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pty_driver import FRAME_END, PtyDriver  # noqa: E402
from orchestrator_tui.domain.enums import TaskStatus  # noqa: E402
from orchestrator_tui.ui.render import STATUS_WORD  # noqa: E402

COLS, ROWS = 160, 48
DOWN, UP = b"\x1b[B", b"\x1b[A"
PAGE_UP, HOME, END = b"\x1b[5~", b"\x1b[H", b"\x1b[F"
KEY_QUIET = 0.2

# Keys of the real app; change here if its bindings change.
APP_FILTER_KEY = b"/"
APP_START_KEY = b"s"
APP_RESET_KEY = b"r"
STATUS_SAMPLES = 7  # status changes timed (each then reset), for a median
STATUS_SETTLE = 2.0  # seconds after a reset before the next sample
APP_ESCAPE = b"\x1b"
APP_STARTED_WORD = STATUS_WORD[TaskStatus.IN_PROGRESS].encode()  # how the app draws it
APP_LOG_PANE_KEY = b"3"

#: Goals at 100k tasks (issue 16); a missed goal makes the run exit 1.
GOALS = {
    "first frame": 0.4,
    "cursor move": 0.004,
    "filter key": 0.004,
    "status change": 0.016,
    "external change": 0.15,
    "peak memory MB": 100,
}
P95_GOALS = {"cursor move": 0.010, "filter key": 0.010}
#: The first frame at 100k within this many times an empty Textual app's (issue 16).
FIRST_FRAME_RATIO = 1.5
LOG_GOALS = {"new line shown": 0.1}


# -- seeding ------------------------------------------------------------------------------


def title_of(i: int) -> str:
    return f"Task {i:06d} {random.Random(i).choice(['build', 'test', 'ship', 'review'])}"


def seed(path: Path, n: int, log_lines: int = 0) -> None:
    """`n` tasks, 2n dependencies (each on an earlier task), bulk inserted."""
    from orchestrator_tui.services import open_orchestrator
    from orchestrator_tui.store.table_models import Task as TaskRecord
    from orchestrator_tui.store.tables import LogLine, Run, Task, TaskDependency, utcnow

    orch = open_orchestrator(str(path), "bench-seed")
    now = utcnow()
    # (The stored columns' defaults come from the declared model; `tables` is Core only.)
    template = TaskRecord(key="x", title="x", created_at=now, updated_at=now).model_dump()
    template.pop("id")
    template.pop("key_order", None)  # the insert computes it from the key (schema 9 on)
    statuses = ["pending"] * 6 + ["in_progress", "done", "done", "failed", "blocked"]
    rng = random.Random(7)
    tasks = [
        {
            **template,
            "key": f"T-{i}",
            "title": title_of(i),
            "status": statuses[i % len(statuses)],
            "priority": ["low", "medium", "high", "critical"][i % 4],
            "estimated_hours": float(1 + i % 8),
        }
        for i in range(1, n + 1)
    ]
    # The first task is pending with no blockers (the status-change figure starts it),
    # unless it has the log run: a task with a running run is in progress.
    tasks[0]["status"] = "in_progress" if log_lines else "pending"
    edges: set[tuple[int, int]] = set()
    while len(edges) < 2 * n and n > 1:
        a = rng.randint(2, n)
        edges.add((a, rng.randint(max(1, a - 50), a - 1)))
    deps = [
        {"task_id": a, "depends_on_id": b, "dep_type": "blocks", "created_at": now}
        for a, b in edges
    ]
    with orch.db.write() as conn:
        for i in range(0, len(tasks), 10_000):
            conn.execute(Task.__table__.insert(), tasks[i : i + 10_000])
        for i in range(0, len(deps), 20_000):
            conn.execute(TaskDependency.__table__.insert(), deps[i : i + 20_000])
        if log_lines:
            run_id = conn.execute(
                Run.__table__.insert().values(
                    execution_id="bench-run",
                    task_id=1,
                    agent="bench",
                    status="running",
                    started_at=now,
                )
            ).inserted_primary_key[0]
            rows = [
                {
                    "run_id": run_id,
                    "seq": s,
                    "stream": "stdout",
                    "text": f"line {s} \x1b[32mok\x1b[0m {'x' * (s % 60)}",
                    "created_at": now,
                }
                for s in range(log_lines)
            ]
            rows[log_lines // 2]["text"] = "the NEEDLE in the middle"
            for i in range(0, len(rows), 20_000):
                conn.execute(LogLine.__table__.insert(), rows[i : i + 20_000])
    orch.close()


# -- the pseudo-terminal ---------------------------------------------------------------------


class Term(PtyDriver):
    """A program in a pseudo-terminal, its output kept with arrival times."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        super().__init__(argv, COLS, ROWS, env)

    def _pump(self, timeout: float) -> bool:
        return bool(self.read(timeout))

    def wait(self, pattern: bytes, since: int = 0, timeout: float = 60.0) -> float:
        """Time when `pattern` appeared after offset `since` (and its frame ended)."""
        deadline = time.perf_counter() + timeout
        while True:
            found = self.buf.find(pattern, since)
            if found >= 0:
                end = self.buf.find(FRAME_END, found)
                if end >= 0:
                    return time.perf_counter()
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{pattern!r} not drawn within {timeout}s")
            self._pump(deadline - time.perf_counter())

    def frame_after(self, since: int, timeout: float = 60.0) -> float:
        return self.wait(FRAME_END, since, timeout)

    def quiet(self, for_seconds: float = 0.05, limit: float = 5.0) -> None:
        """Read until the program has written nothing for `for_seconds`."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline and self._pump(for_seconds):
            pass

    def key(self, data: bytes, expect: bytes | None = None, timeout: float = 60.0) -> float:
        """Seconds from writing `data` to the end of the frame it caused, once the
        app has drawn nothing for KEY_QUIET seconds (what the previous key set off
        after its frame, such as panes that follow the cursor, is not counted)."""
        self.quiet(KEY_QUIET)
        since = len(self.buf)
        sent = time.perf_counter()
        os.write(self.fd, data)
        if expect is None:
            return self.frame_after(since, timeout) - sent
        return self.wait(expect, since, timeout) - sent

    def main_thread_cpu(self) -> float:
        """Seconds of CPU the program's main thread has used (user and system)."""
        stat = Path(f"/proc/{self.pid}/task/{self.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def process_cpu(self) -> float:
        """Seconds of CPU the whole program has used (every thread, user and system)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


# -- measurements -----------------------------------------------------------------------------


@dataclass
class Result:
    target: str
    size: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, metric: str, value: float) -> None:
        self.samples.setdefault(metric, []).append(value)


def keys(term: Term, result: Result, metric: str, data: bytes, count: int) -> None:
    for _ in range(count):
        result.add(metric, term.key(data))


def external_edit(db: Path, key: str, title: str) -> float:
    """Edit a task from another connection, through the services; returns commit time."""
    from orchestrator_tui.domain.models import TaskPatch
    from orchestrator_tui.services import open_orchestrator

    orch = open_orchestrator(str(db), "bench-other")
    try:
        orch.tasks.edit(key, TaskPatch(title=title))
        return time.perf_counter()
    finally:
        orch.close()


def task_status(db: Path, key: str) -> str:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT status FROM tasks WHERE key = ?", (key,)).fetchone()[0]


def wait_for_status(db: Path, key: str, status: str, timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while task_status(db, key) != status:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{key} did not become {status}")
        time.sleep(0.01)


def status_change(term: Term, db: Path, key: str, word: bytes) -> float:
    """Seconds from the start key until the commit is in and a frame showing `word` has
    been drawn (the first such frame after the key, or after the commit if later)."""
    import sqlite3

    before = task_status(db, key)
    term.quiet()
    since = len(term.buf)
    conn = sqlite3.connect(db)
    try:
        sent = time.perf_counter()
        os.write(term.fd, APP_START_KEY)
        committed = None
        while committed is None:
            if time.perf_counter() - sent > 10:
                raise TimeoutError(f"the start key did not change {key} ({before})")
            term._pump(0.001)
            row = conn.execute("SELECT status FROM tasks WHERE key = ?", (key,)).fetchone()
            if row[0] != before:
                committed = time.perf_counter()
        drawn = term.wait(word, since, 10)
        return max(drawn, committed) - sent
    finally:
        conn.close()


def bench_table_app(
    target: str,
    argv: Sequence[str],
    db: Path,
    n: int,
    presses: int,
    app_keys: bool,
    keys_only: bool = False,
    result: Result | None = None,
    env: dict[str, str] | None = None,
    idle_seconds: float = 0.0,
) -> Result:
    result = result or Result(target, f"{n:,}")
    term = Term(argv, env)

    def measure(step: Callable[[], None]) -> None:
        try:
            step()
        except (TimeoutError, RuntimeError) as exc:
            result.notes.append(str(exc).splitlines()[0])

    def first_frame() -> None:
        result.add("first frame", term.wait(title_of(1).encode(), timeout=120) - term.started)
        result.add("main thread CPU", term.main_thread_cpu())
        term.quiet(0.3, limit=30)

    def cursor() -> None:
        keys(term, result, "cursor move", DOWN, presses)
        keys(term, result, "cursor move", UP, presses)

    def filtering() -> None:
        term.key(APP_FILTER_KEY)
        for ch in "Task 00001"[: max(3, min(10, presses))]:
            result.add("filter key", term.key(ch.encode()))
        term.key(APP_ESCAPE)
        # A second escape, in case the first only left the field; it may draw nothing.
        with contextlib.suppress(TimeoutError):
            term.key(APP_ESCAPE, timeout=1.0)

    def idle() -> None:
        term.quiet(1.0, limit=30)  # what the last key set off is over
        cpu, start = term.process_cpu(), time.perf_counter()
        while (left := start + idle_seconds - time.perf_counter()) > 0:
            term._pump(left)
        spent = term.process_cpu() - cpu
        result.add("idle CPU per second", spent / (time.perf_counter() - start))

    def status() -> None:
        # The first row (pending, no blockers): key -> committed and drawn, then (the
        # app only) reset to pending for the next sample.
        term.key(HOME)
        word = APP_STARTED_WORD if app_keys else b"in_progress"
        for _ in range(STATUS_SAMPLES if app_keys else 1):
            result.add("status change", status_change(term, db, "T-1", word))
            if app_keys:
                term.key(APP_RESET_KEY)
                wait_for_status(db, "T-1", "pending")
                time.sleep(STATUS_SETTLE)  # the reload the reset set off (dashboard) ends

    def external() -> None:
        for i in range(3):
            term.quiet()
            since = len(term.buf)
            marker = f"EXT-{i}"
            committed = external_edit(db, "T-2", marker)
            result.add("external change", term.wait(marker.encode(), since, 10) - committed)

    def phase(name: str, step: Callable[[], None]) -> None:
        measure(step)
        if app_keys:  # which phase sets the peak (VmHWM once the phase is over)
            result.add(f"peak MB after {name}", term.peak_rss_mb())

    try:
        phase("first frame", first_frame)
        if result.samples:
            phase("cursor", cursor)
            if app_keys:
                phase("filter", filtering)
            if app_keys and idle_seconds:
                phase("idle", idle)
            if not keys_only:
                phase("status", status)
                phase("external", external)
        result.add("peak memory MB", term.peak_rss_mb())
    finally:
        term.close()
    return result


def bench_empty(runs: int = 3) -> Result:
    """First frame and memory of a bare Textual app: the floor for the app's figures."""
    result = Result("empty app", "-")
    for _ in range(runs):
        term = Term([sys.executable, "-c", empty_app_source()])
        try:
            result.add("first frame", term.wait(title_of(1).encode(), timeout=60) - term.started)
            result.add("main thread CPU", term.main_thread_cpu())
            term.quiet(0.3)
            result.add("peak memory MB", term.peak_rss_mb())
        finally:
            term.close()
    return result


def compile_checkout(root: Path) -> None:
    """Byte-compile the package in `root` before timing it, as installing a wheel does:
    with PYTHONDONTWRITEBYTECODE set (as on the development machine) every start would
    compile the app's own modules again, while Textual's, installed by pip, are
    compiled, so the empty app would not be compared like with like."""
    import compileall

    compileall.compile_dir(root / "orchestrator_tui", quiet=1)


def checkout_env(root: Path) -> dict[str, str]:
    """The environment that runs `python -m orchestrator_tui` from the checkout `root`
    (its folder first on the path, the current directory not on it)."""
    return dict(os.environ, PYTHONPATH=str(root), PYTHONSAFEPATH="1")


def seed_by(root: Path, path: Path, n: int) -> Path:
    """`seed(path, n)` done by the code of the checkout `root` (a `--before` checkout may
    have an older schema, which it would refuse to open newer): `path`."""
    if root.resolve() == ROOT:
        seed(path, n)
        return path
    # the package is imported first, from `root` (PYTHONPATH); this file then finds it
    code = (
        "import orchestrator_tui, runpy, sys; from pathlib import Path; "
        f"runpy.run_path({str(Path(__file__).resolve())!r})['seed'](Path(sys.argv[1]), "
        "int(sys.argv[2]))"
    )
    argv = [sys.executable, "-P", "-c", code, str(path), str(n)]
    subprocess.run(argv, env=checkout_env(root.resolve()), check=True)
    return path


def bench_first_frames(db: Path, n: int, rounds: int, before: Path | None) -> list[Result]:
    """First frame and peak memory only, the apps started in turn `rounds` times (this
    checkout, then `before` if given, then an empty Textual app), so each sees the same
    minutes; each checkout on `n` tasks it seeded itself, next to `db`. Memory is read
    once the app has drawn nothing for a second (the dashboard and the database layer
    loaded), before any key."""
    checkouts = [("app", ROOT)] + ([("before", before)] if before else [])
    for _, root in checkouts:
        compile_checkout(root)
    dbs = {name: seed_by(root, db.with_name(f"{name}-{db.name}"), n) for name, root in checkouts}
    results = {name: Result(name, f"{n:,}") for name, _ in checkouts}
    empty = Result("empty app", "-")
    for _ in range(rounds):
        for name, root in checkouts:
            result = results[name]
            term = Term(
                [sys.executable, "-m", "orchestrator_tui", "--db", str(dbs[name])],
                checkout_env(root),
            )
            try:
                result.add(
                    "first frame", term.wait(title_of(1).encode(), timeout=120) - term.started
                )
                result.add("main thread CPU", term.main_thread_cpu())
                term.quiet(1.0, limit=30)
                result.add("peak memory MB", term.peak_rss_mb())
            except (TimeoutError, RuntimeError) as exc:
                result.notes.append(str(exc).splitlines()[0])
            finally:
                term.close()
        once = bench_empty(runs=1)
        for metric, values in once.samples.items():
            empty.samples.setdefault(metric, []).extend(values)
    return [empty, *results.values()]


def bench_log_pane(db: Path, lines: int, presses: int) -> Result:
    """The real app with its first task's run (`lines` lines, still running) selected:
    the log pane follows it, as a person watching an agent would."""
    result = Result("log pane", f"{lines:,} lines")
    term = Term([sys.executable, "-m", "orchestrator_tui", "--db", str(db)])
    try:
        last = f"line {lines - 1} ".encode()
        result.add("first frame (any)", term.frame_after(0) - term.started)
        result.add("log lines drawn", term.wait(last, timeout=60) - term.started)
        term.quiet(0.3)
        term.key(APP_LOG_PANE_KEY)
        keys(term, result, "page up (paging)", PAGE_UP, presses * 3)
        result.add("home (reload window)", term.key(HOME, expect=b"line 0 "))
        result.add("end (reload window)", term.key(END, expect=last))
        for i in range(3):
            term.quiet()
            since = len(term.buf)
            marker = f"appended {i}"
            committed = append_line(db, lines + i, marker)
            result.add("new line shown", term.wait(marker.encode(), since, 10) - committed)
            term.quiet(0.2)
        term.key(b"/")
        for ch in "needle":
            term.key(ch.encode())
        result.add("search (50k back)", term.key(b"\r", expect=b"NEEDLE"))
        result.add("peak memory MB", term.peak_rss_mb())
    except (TimeoutError, RuntimeError) as exc:
        result.notes.append(str(exc).splitlines()[0])
    finally:
        term.close()
    return result


def append_line(db: Path, seq: int, text: str) -> float:
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO log_lines (run_id, seq, stream, text, created_at) "
            "VALUES (1, ?, 'stdout', ?, datetime('now'))",
            (seq, text),
        )
    return time.perf_counter()


def bench_before_after(db: Path, n: int, args: argparse.Namespace, keys_only: bool) -> list[Result]:
    """The app from this checkout ("app") and from `args.before` ("before"), started in
    turn `args.rounds` times, each on a fresh copy of `db`."""
    before_env = checkout_env(args.before.resolve())
    runs: list[tuple[str, dict[str, str] | None]] = [("before", before_env), ("app", None)]
    results = {name: Result(name, f"{n:,}") for name, _ in runs}
    sources = {"app": db, "before": seed_by(args.before, db.with_name(f"seeded-before-{n}.db"), n)}
    for round_ in range(args.rounds):
        for name, env in runs if round_ % 2 == 0 else runs[::-1]:
            copy = db.with_name(f"{name}-{n}.db")
            copy.write_bytes(sources[name].read_bytes())
            # -P: the current folder is not put first on the path, so PYTHONPATH decides.
            argv = [sys.executable, "-P", "-m", "orchestrator_tui", "--db", str(copy)]
            bench_table_app(
                name, argv, copy, n, args.keys, True, keys_only, results[name], env, args.idle
            )
            print(f"  {name}: round {round_ + 1} done (load {os.getloadavg()[0]:.1f})")
    return list(results.values())


# -- the apps the harness spawns ----------------------------------------------------------------


def empty_app_source() -> str:
    """Textual's floor: an app that draws one line of text and nothing else, run as a
    script of its own, so it imports Textual alone (not this module, whose imports of
    the app's modules would count against the floor)."""
    return (
        "from textual.app import App\n"
        "from textual.widgets import Static\n"
        "class Empty(App):\n"
        "    def compose(self):\n"
        f"        yield Static({title_of(1)!r})\n"
        "Empty().run()\n"
    )


def serve_reference(db: str) -> None:
    """A bare Textual app: the same rows in a stock DataTable, loaded up front."""
    import sqlite3

    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import DataTable

    conn = sqlite3.connect(db, check_same_thread=False)
    rows = conn.execute(
        "SELECT key, title, status, priority, coalesce(assignee, ''), progress "
        "FROM tasks ORDER BY id"
    ).fetchall()

    class Reference(App[None]):
        BINDINGS = [Binding("s", "start", "Start")]

        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            self.status_col, self.title_col = 2, 1
            keys = table.add_columns("key", "title", "status", "priority", "assignee", "%")
            self.cols = keys
            table.add_rows(
                [r for r in rows],
            )
            self.keys = [r[0] for r in rows]
            self.last_event = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
            self.set_interval(0.25, self.poll)
            table.focus()

        def action_start(self) -> None:
            table = self.query_one(DataTable)
            row = table.cursor_row
            key = table.get_row_at(row)[0]
            conn.execute("UPDATE tasks SET status='in_progress' WHERE key=?", (key,))
            conn.commit()
            table.update_cell_at((row, self.status_col), "in_progress")

        def poll(self) -> None:
            last = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
            if last == self.last_event:
                return
            changed = conn.execute(
                "SELECT t.key, t.title FROM events e JOIN tasks t ON t.id = e.task_id "
                "WHERE e.id > ?",
                (self.last_event,),
            ).fetchall()
            self.last_event = last
            table = self.query_one(DataTable)
            for key, title in changed:
                table.update_cell_at((self.keys.index(key), self.title_col), title)

    Reference().run()


# -- report ----------------------------------------------------------------------------------


def fmt(metric: str, value: float) -> str:
    if "MB" in metric:
        return f"{value:.0f} MB"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(results: list[Result]) -> int:
    """Print every figure with its goal; the number of goals missed."""
    missed = 0
    print(f"\n{'target':<12} {'size':>15}  {'metric':<22} {'median':>10} {'p95':>10}  goal")
    for r in results:
        for metric, values in r.samples.items():
            med = statistics.median(values)
            goal = ""
            goals = {}
            if r.target == "app" and r.size == "100,000":
                goals = GOALS
            elif r.target == "log pane":
                goals = LOG_GOALS
            if metric in goals:
                limit = goals[metric]
                ok = med <= limit and p95(values) <= P95_GOALS.get(metric, float("inf"))
                missed += not ok
                goal = f"{'ok' if ok else 'MISSED'} ({fmt(metric, limit)})"
            print(
                f"{r.target:<12} {r.size:>15}  {metric:<22} {fmt(metric, med):>10} "
                f"{fmt(metric, p95(values)):>10}  {goal}"
            )
        for note in r.notes:
            print(f"{r.target:<12} {r.size:>15}  note: {note}")
    return missed + first_frame_ratio(results)


def first_frame_ratio(results: list[Result]) -> int:
    """Print the first frame at 100k over the empty app's, measured in the same run;
    1 if over FIRST_FRAME_RATIO (0 when either was not measured)."""
    floor = next((r for r in results if r.target == "empty app"), None)
    app = next((r for r in results if r.target == "app" and r.size == "100,000"), None)
    if floor is None or app is None or not floor.samples.get("first frame"):
        return 0
    if not app.samples.get("first frame"):
        return 0
    ratio = statistics.median(app.samples["first frame"]) / statistics.median(
        floor.samples["first frame"]
    )
    ok = ratio <= FIRST_FRAME_RATIO
    print(
        f"{'app':<12} {'100,000':>15}  {'first frame / empty':<22} {ratio:>9.2f}x "
        f"{'':>10}  {'ok' if ok else 'MISSED'} ({FIRST_FRAME_RATIO}x)"
    )
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--keys", type=int, default=30, help="presses per key metric")
    parser.add_argument("--log-lines", type=int, default=100_000)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument(
        "--first-frame",
        type=int,
        metavar="ROUNDS",
        help="only the first frame and peak memory (after the first frame, before any key), "
        "at each size, the app and an empty Textual app started in turn ROUNDS times",
    )
    parser.add_argument(
        "--only",
        choices=["keys"],
        help="keys: the first frame, cursor and filter keys (and the idle CPU)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        metavar="FOLDER",
        help="also start the app from this checkout "
        "(`git worktree add FOLDER COMMIT`) in every round",
    )
    parser.add_argument("--rounds", type=int, default=3, help="app runs per size (with --before)")
    parser.add_argument(
        "--idle",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long the app's CPU is measured while idle (0: not measured)",
    )
    parser.add_argument("--serve-reference", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_reference:
        serve_reference(args.serve_reference)
        return 0
    if args.before and not (args.before / "orchestrator_tui").is_dir():
        parser.error(f"--before: {args.before} is not a checkout of orchestrator-tui")

    has_app = importlib.util.find_spec("orchestrator_tui.app") is not None
    if has_app:
        compile_checkout(ROOT)
    load_before = os.getloadavg()[0]
    if args.first_frame:
        return first_frames_only(args, load_before)
    keys_only = args.only == "keys"
    results: list[Result] = [] if keys_only else [bench_empty()]
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        for n in (int(s) for s in args.sizes.split(",") if s):
            db = Path(tmp) / f"tasks-{n}.db"
            t = time.perf_counter()
            seed(db, n)
            print(f"seeded {n:,} tasks, {2 * n:,} dependencies in {time.perf_counter() - t:.1f}s")
            if args.before:
                results += bench_before_after(db, n, args, keys_only)
                continue
            targets: list[tuple[str, list[str], bool]] = []
            if has_app:
                targets.append(("app", [sys.executable, "-m", "orchestrator_tui", "--db"], True))
            if not args.no_reference:
                targets.append(
                    ("reference", [sys.executable, __file__, "--serve-reference"], False)
                )
            for name, cmd, app_keys in targets:
                copy = Path(tmp) / f"{name}-{n}.db"
                copy.write_bytes(db.read_bytes())
                results.append(
                    bench_table_app(
                        name,
                        [*cmd, str(copy)],
                        copy,
                        n,
                        args.keys,
                        app_keys,
                        keys_only,
                        idle_seconds=args.idle,
                    )
                )
                print(f"  {name}: done")
        if args.log_lines and not keys_only:
            db = Path(tmp) / "log.db"
            seed(db, 10, log_lines=args.log_lines)
            results.append(bench_log_pane(db, args.log_lines, args.keys))
    if not has_app:
        print("\norchestrator_tui.app is not on this branch yet: measured the reference only")
    missed = report(results)
    print(
        f"\nload average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"on {os.cpu_count()} CPUs: figures are only comparable on a quiet machine"
    )
    return 1 if missed else 0


def first_frames_only(args: argparse.Namespace, load_before: float) -> int:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        for n in (int(s) for s in args.sizes.split(",") if s):
            db = Path(tmp) / f"tasks-{n}.db"  # each checkout seeds its own copy
            results += bench_first_frames(db, n, args.first_frame, args.before)
    missed = report(results)
    print(
        f"\nload average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"on {os.cpu_count()} CPUs (peak memory here: after the first frame, before any key)"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
