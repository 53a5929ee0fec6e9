"""Review pane benchmark: a 20 MB diff opened in the approvals inbox. Prints each
figure against its goal and exits 1 when one is missed; not a test (the test,
tests/tui/test_review_pane.py, checks the same diff is paged right).

    python benchmarks/bench_review.py [--mb 20] [--runs 3]

The app runs headless (Textual's test driver) with a timer ticking every 10 ms;
figures, median of the runs:

- longest stall: the longest gap between two ticks while the diff loads (a diff
  split on the UI thread freezes it for seconds; paged in a worker, it stays a
  few frames);
- diff loaded: from the inbox key until every file of the diff is indexed;
- 21 keys: twenty next-file jumps and a page down through the loaded diff.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.app_driver import fixed_clock, settle, wait_until  # noqa: E402
from benchmarks.review_setup import finish, huge_captured, make_repo, spec, start  # noqa: E402
from orchestrator_tui.app import make_app  # noqa: E402
from orchestrator_tui.services import open_orchestrator  # noqa: E402
from orchestrator_tui.ui.widgets.diff_view import DiffView  # noqa: E402
from orchestrator_tui.workspaces.worktree import layout  # noqa: E402

#: Goals (seconds): the bounds the review pane's test once asserted.
GOALS = {"longest stall": 2.0, "diff loaded": 30.0, "21 keys": 30.0}


def prepare(folder: Path, megabytes: float) -> tuple[str, int]:
    """A database with one task awaiting approval whose run left a diff of
    `megabytes`; its URL and the diff's file count."""
    db = str(folder / "review.db")
    orch = open_orchestrator(db, "setup", clock=fixed_clock)
    repo = make_repo(folder / "repo", {"a.txt": "one\n"})
    run_id = start(orch, "BIG", repo)
    captured, files = huge_captured(int(megabytes * 1024 * 1024))
    orch.workspaces.record(run_id, layout(spec(repo), "BIG"), captured, [])
    finish(orch, "BIG", run_id)
    orch.close()
    return db, files


async def one_run(db: str, files: int) -> dict[str, float]:
    app = make_app(db, "alice", clock=fixed_clock, poll_interval=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        ticks: list[float] = []
        timer = app.set_interval(0.01, lambda: ticks.append(time.perf_counter()))
        started = time.perf_counter()
        await pilot.press("i")
        view = app.screen.query_one(DiffView)
        await wait_until(
            pilot, lambda: len(view.document.file_starts) == files, "the diff", timeout=300
        )
        loaded = time.perf_counter() - started
        timer.stop()
        stall = max(b - a for a, b in itertools.pairwise(ticks))
        started = time.perf_counter()
        for _ in range(20):
            await pilot.press("right_square_bracket")
        await pilot.press("ctrl+d")
        keys = time.perf_counter() - started
        if view.current_file != 20:
            raise RuntimeError(f"the keys reached file {view.current_file}, not 20")
    return {"longest stall": stall, "diff loaded": loaded, "21 keys": keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        db, files = prepare(Path(tmp), args.mb)
        runs = [asyncio.run(one_run(db, files)) for _ in range(args.runs)]
    print(f"review pane: a {args.mb:g} MB diff of {files} files, {args.runs} runs")
    missed = 0
    for metric, goal in GOALS.items():
        value = statistics.median(r[metric] for r in runs)
        ok = value <= goal
        missed += not ok
        print(f"  {metric:<14} {value:8.3f} s  (goal <= {goal:g} s: {'met' if ok else 'MISSED'})")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load}: figures are only comparable on a quiet machine")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
