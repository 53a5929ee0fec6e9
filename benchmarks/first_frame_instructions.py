"""Instructions the TUI's main thread runs until its first useful frame, counted by
callgrind: repeatable to ~0.1% on a loaded machine, where the wall clock is not.

    python benchmarks/first_frame_instructions.py [--before FOLDER] [--empty]
        [--size 100000] [--keep DIR]

The command line (`orchestrator-tui --db DB`, as `python -m orchestrator_tui` starts
it) runs under `valgrind --tool=callgrind --separate-threads=yes` in a 160x48
pseudo-terminal over `--size` tasks, and leaves with `os._exit` as the frame holding
the first task's title is handed to the terminal's writer thread. The package is
byte-compiled first (as installing a wheel does) and hashing is seeded the same in
every start. `--before` counts a checkout of other code in the same way (copy it
rather than point at a checkout that must stay untouched: it is byte-compiled);
`--empty` an empty Textual app drawing the title, the floor the goal is set against.
`--keep DIR` keeps the callgrind files (`callgrind_annotate DIR/NAME.PID-01`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_tui import (  # noqa: E402
    Term,
    checkout_env,
    compile_checkout,
    empty_app_source,
    seed_by,
    title_of,
)
from benchmarks.pty_driver import ProgramExited  # noqa: E402

# Ends the process as the frame holding the title is handed to the writer thread;
# then runs the command line (its words after the title), or the empty app. The
# writer thread's module is patched as it loads, so the launcher imports nothing the
# start would not (Textual is imported after the command line paused the collector).
LAUNCHER = """
import os, sys
from importlib.machinery import PathFinder
title = sys.argv.pop(1)
def patch(module):
    hand_over = module.WriterThread.write
    def write(self, text):
        if title in text:
            os._exit(0)
        hand_over(self, text)
    module.WriterThread.write = write
class Patcher:
    def find_spec(self, name, path=None, target=None):
        if name != "textual.drivers._writer_thread":
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(name, path)
        load = spec.loader.exec_module
        def exec_module(module):
            load(module)
            patch(module)
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, Patcher())
if sys.argv[1:] == ["--empty"]:
    exec(os.environ["EMPTY_APP_SOURCE"])
else:
    sys.argv = ["orchestrator-tui", *sys.argv[1:]]
    from orchestrator_tui.cli import main
    sys.exit(main())
"""


def count(name: str, words: list[str], env: dict[str, str], out: Path) -> int:
    """Instructions of the main thread (callgrind's thread 1) of one start."""
    prefix = out / name
    argv = [
        "valgrind",
        "--tool=callgrind",
        "--separate-threads=yes",
        f"--callgrind-out-file={prefix}.%p",
        sys.executable,
        "-c",
        LAUNCHER,
        title_of(1),
        *words,
    ]
    env = {**env, "PYTHONHASHSEED": "0", "EMPTY_APP_SOURCE": empty_app_source()}
    term = Term(argv, env)
    try:
        while term.proc.poll() is None:
            try:
                term.read(1.0)
            except ProgramExited:
                break
        term.proc.wait(600)
    finally:
        term.close(quit_key=None)
    mains = sorted(out.glob(f"{name}.{term.pid}-01"))
    if not mains:
        raise RuntimeError(f"{name}: no callgrind output:\n{term.tail()}")
    for line in mains[0].read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"{name}: no totals in {mains[0]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a copy of other code, counted too")
    parser.add_argument("--empty", action="store_true", help="count an empty Textual app")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the callgrind files here")
    args = parser.parse_args()
    checkouts = [("this code", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    with tempfile.TemporaryDirectory(prefix="first-frame-cg-") as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        targets: list[tuple[str, list[str], dict[str, str]]] = []
        for name, root in checkouts:
            compile_checkout(root)
            db = seed_by(root, Path(tmp) / f"{name.replace(' ', '-')}.db", args.size)
            targets.append((name, ["--db", str(db)], checkout_env(root)))
        if args.empty:
            targets.append(("empty app", ["--empty"], dict(os.environ)))
        figures: dict[str, list[int]] = {}
        for run in range(args.runs):
            for name, words, env in targets:
                label = f"{name.replace(' ', '-')}-{run}"
                figures.setdefault(name, []).append(count(label, words, env, out))
                print(f"{name}: {figures[name][-1] / 1e6:,.1f} M", flush=True)
        first = min(figures["this code"])
        for name, values in figures.items():
            line = f"{name:<10} {min(values) / 1e6:>10,.1f} M (least of {len(values)})"
            if name != "this code":
                line += f"  this code / {name}: {first / min(values):.3f}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
