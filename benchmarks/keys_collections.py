"""Garbage collections inside the keys: the app in a pseudo-terminal at 100k tasks,
every collection logged (start, end, generation) beside each key's latency.

    python benchmarks/keys_collections.py [--before FOLDER] [--keys 40] [--runs 2]
        [--changes N [--rest SECONDS]]

Types `--keys` cursor keys down and up, `/` and ten letters, as `bench_tui.py` does
(each key once the app has drawn nothing for 0.2 s), and prints per start how many
keys had a collection inside their latency, the collections from the first key to
the last by generation, and the longest. With `--changes N` it makes N changes from
another process instead (a task's title edited, as `bench_tui.py`'s external change
does), each after `--keys` cursor keys (garbage piled up) and once the app has then
drawn nothing for `--rest` seconds (the app rests after 2 s), and counts the
collections between each commit and the frame showing it. With `--before` a
checkout of other code is started in turn with this one.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_tui import (  # noqa: E402
    DOWN,
    KEY_QUIET,
    UP,
    Term,
    checkout_env,
    external_edit,
    seed,
    title_of,
)

# Runs the app as the command line does, logging each collection to $KEYS_GC_LOG.
LAUNCHER = """
import gc, os, sys, time
log = open(os.environ["KEYS_GC_LOG"], "w", buffering=1)
started = [0.0]
def logged(phase, info):
    if phase == "start":
        started[0] = time.monotonic()
    else:
        log.write(f"{started[0]:.6f} {time.monotonic():.6f} {info['generation']}\\n")
gc.callbacks.append(logged)
sys.argv = ["orchestrator-tui", *sys.argv[1:]]
from orchestrator_tui.cli import main
sys.exit(main())
"""


def press_keys(term: Term, presses: int) -> list[tuple[float, float]]:
    """Each key's (sent, its frame ended)."""
    keys: list[tuple[float, float]] = []
    for data in [DOWN] * presses + [UP] * presses + [b"/", *(c.encode() for c in "Task 00001")]:
        term.quiet(KEY_QUIET)
        since = len(term.buf)
        sent = time.monotonic()
        os.write(term.fd, data)
        term.frame_after(since)
        keys.append((sent, time.monotonic()))
    return keys


def make_changes(
    term: Term, db: Path, count: int, presses: int, rest: float
) -> list[tuple[float, float]]:
    """Each change's (committed, the frame showing it ended), made after `presses`
    cursor keys once the app has drawn nothing for `rest` seconds."""
    changes: list[tuple[float, float]] = []
    for i in range(count):
        for data in [DOWN, UP] * (presses // 2):
            term.quiet(KEY_QUIET)
            os.write(term.fd, data)
        term.quiet(rest, limit=rest + 30)
        since = len(term.buf)
        marker = f"GC-EXT-{i}"
        external_edit(db, "T-2", marker)
        committed = time.monotonic()
        term.wait(marker.encode(), since, 10)
        changes.append((committed, time.monotonic()))
    return changes


Spans = list[tuple[float, float]]


def one_start(
    db: Path, env: dict[str, str], log: Path, act: Callable[[Term], Spans]
) -> dict[str, object]:
    """One start: `act` (keys or changes) and the collections inside its spans."""
    term = Term([sys.executable, "-c", LAUNCHER, "--db", str(db)], {**env, "KEYS_GC_LOG": str(log)})
    try:
        term.wait(title_of(1).encode(), timeout=120)
        term.quiet(0.3, limit=30)
        spans = act(term)
    finally:
        term.close()
    collections = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    collections = [c for c in collections if spans[0][0] <= c[0] <= spans[-1][1]]
    inside = [c for c in collections if any(c[1] > s and c[0] < e for s, e in spans)]
    hit = [(s, e) for s, e in spans if any(c[1] > s and c[0] < e for c in collections)]
    return {
        "with a collection inside": f"{len(hit)} of {len(spans)}",
        "generations inside": sorted(int(c[2]) for c in inside),
        "collections by generation": [sum(1 for c in collections if c[2] == g) for g in range(3)],
        "longest collection ms": round(max((c[1] - c[0] for c in collections), default=0) * 1e3, 1),
        "median ms": round(statistics.median((e - s) * 1e3 for s, e in spans), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a checkout started in turn with this one")
    parser.add_argument("--keys", type=int, default=40, help="cursor keys each way")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=0, help="changes from elsewhere, no keys")
    parser.add_argument("--rest", type=float, default=2.5, help="quiet before each change")
    args = parser.parse_args()
    targets = [("this code", dict(os.environ))]
    if args.before:
        targets.append(("before", checkout_env(args.before.resolve())))
    with tempfile.TemporaryDirectory(prefix="keys-gc-") as tmp:
        seeded = Path(tmp) / "seeded.db"
        seed(seeded, args.size)
        print(f"load {os.getloadavg()[0]:.1f}")
        for run in range(args.runs):
            for name, env in targets if run % 2 == 0 else targets[::-1]:
                copy = Path(tmp) / f"run-{run}-{name.replace(' ', '-')}.db"
                shutil.copy(seeded, copy)
                act = functools.partial(press_keys, presses=args.keys)
                if args.changes:
                    act = functools.partial(
                        make_changes, db=copy, count=args.changes, presses=args.keys, rest=args.rest
                    )
                figures = one_start(copy, env, Path(tmp) / "gc.log", act)
                print(f"{name}: {figures} (load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
