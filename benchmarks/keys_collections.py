"""Garbage collections inside the keys: the app in a pseudo-terminal at 100k tasks,
every collection logged (start, end, generation) beside each key's latency.

    python benchmarks/keys_collections.py [--before FOLDER] [--keys 40] [--runs 2]

Types `--keys` cursor keys down and up, `/` and ten letters, as `bench_tui.py` does
(each key once the app has drawn nothing for 0.2 s), and prints per start how many
keys had a collection inside their latency, the collections from the first key to
the last by generation, and the longest. With `--before` a checkout of other code is
started in turn with this one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_tui import DOWN, KEY_QUIET, UP, Term, checkout_env, seed, title_of  # noqa: E402

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


def one_start(db: Path, env: dict[str, str], log: Path, presses: int) -> dict[str, object]:
    term = Term([sys.executable, "-c", LAUNCHER, "--db", str(db)], {**env, "KEYS_GC_LOG": str(log)})
    try:
        term.wait(title_of(1).encode(), timeout=120)
        term.quiet(0.3, limit=30)
        keys: list[tuple[float, float]] = []
        for data in [DOWN] * presses + [UP] * presses + [b"/", *(c.encode() for c in "Task 00001")]:
            term.quiet(KEY_QUIET)
            since = len(term.buf)
            sent = time.monotonic()
            os.write(term.fd, data)
            term.frame_after(since)
            keys.append((sent, time.monotonic()))
    finally:
        term.close()
    collections = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    collections = [c for c in collections if keys[0][0] <= c[0] <= keys[-1][1]]
    hit = [k for k in keys if any(c[1] > k[0] and c[0] < k[1] for c in collections)]
    return {
        "keys with a collection inside": f"{len(hit)} of {len(keys)}",
        "collections by generation": [sum(1 for c in collections if c[2] == g) for g in range(3)],
        "longest collection ms": round(max((c[1] - c[0] for c in collections), default=0) * 1e3, 1),
        "median key ms": round(statistics.median((e - s) * 1e3 for s, e in keys), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a checkout started in turn with this one")
    parser.add_argument("--keys", type=int, default=40, help="cursor keys each way")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--size", type=int, default=100_000)
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
                figures = one_start(copy, env, Path(tmp) / "gc.log", args.keys)
                print(f"{name}: {figures} (load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
