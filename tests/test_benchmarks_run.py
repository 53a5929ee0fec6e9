"""Every benchmark still runs, at a size too small to time anything: they reach into
the store and the services, and nothing else would tell when a change breaks one.

A benchmark exits 1 when a goal is missed (at these sizes some are); anything else,
or a traceback, is a broken benchmark.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SMALL = {
    "bench_core": ["--tasks", "300"],
    "bench_import": ["--tasks", "300", "--runs", "1"],
    "bench_cli": ["--sizes", "50", "--repeat", "1", "--no-peers"],
    "bench_runner": ["--only", "dag", "--tasks", "20", "--repeat", "1"],
    "bench_import_memory": ["--mb", "0.3", "--traced-mb", "0.2"],
    "bench_review": ["--mb", "0.2", "--runs", "1"],
    "bench_tui": ["--sizes", "200", "--keys", "3", "--rounds", "1", "--only", "keys"],
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_benchmark_runs(name: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_TUI")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *SMALL[name]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.stdout.strip(), "printed no figures"


def test_every_benchmark_is_run_here() -> None:
    scripts = {p.stem for p in (ROOT / "benchmarks").glob("bench_*.py")}
    assert scripts - set(SMALL) == {"bench_postgres"}  # needs a server: see Development
