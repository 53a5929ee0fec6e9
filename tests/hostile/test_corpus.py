"""Every file of the hostile corpus is refused by `orchestrator-tui import` with
one line on stderr, its documented exit code, and a database left byte for
byte as it was. Where permissions matter the CLI runs as a non-root user."""

from __future__ import annotations

import gc
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.services.importers import import_path

from .corpus import CASES, DB_CASES, Case, DbCase

FIXTURE_PLAN = Path(__file__).resolve().parent.parent / "fixtures" / "plan.yaml"
NOBODY = 65534


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A folder a non-root user may enter (pytest's own tmp folders are root-only)."""
    path = Path(tempfile.mkdtemp(prefix="hostile-"))
    path.chmod(0o777)
    yield path
    for inner in path.rglob("*"):
        if not inner.is_symlink():
            inner.chmod(0o700)
    shutil.rmtree(path)


def seeded_db(folder: Path) -> Path:
    db = folder / "orch.db"
    orch = open_orchestrator(str(db), "tester")
    import_path(orch, FIXTURE_PLAN)
    orch.close()
    db.chmod(0o666)
    return db


def files_digest(db: Path) -> dict[str, str]:
    """The database and its side files, byte for byte."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(db.parent.glob(db.name + "*"))
        if p.name != db.name + "-shm"  # shared-memory index, rebuilt by any reader
    }


def run_cli(args: list[str], as_nobody: bool = False) -> tuple[int, str, str]:
    if as_nobody and os.geteuid() == 0:
        return _run_forked_as_nobody(args)
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator_tui", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def _run_forked_as_nobody(args: list[str]) -> tuple[int, str, str]:
    """The CLI in a forked child that dropped to `nobody`: the interpreter (under
    root's home here) cannot be started by that user, but it is already loaded."""
    from orchestrator_tui.cli import main

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 99
            try:
                sys.stdout = io.TextIOWrapper(os.fdopen(out.fileno(), "wb", closefd=False))
                sys.stderr = io.TextIOWrapper(os.fdopen(err.fileno(), "wb", closefd=False))
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                code = main(args)
                gc.collect()  # close the database as a normal exit would
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return os.waitstatus_to_exitcode(status), out.read().decode(), err.read().decode()


def _warm_up(folder: Path, case: Case) -> None:
    """Load every module the command needs before dropping privileges."""
    scratch = folder / "warm"
    scratch.mkdir(mode=0o777)
    db = seeded_db(scratch)
    from orchestrator_tui.cli import main

    with open(os.devnull, "w") as sink:
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = sink
        try:
            main(["--db", str(db), "import", str(case.make(scratch))])
        finally:
            sys.stdout, sys.stderr = saved


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_file_gets_one_line_its_exit_code_and_no_write(case: Case, workdir: Path) -> None:
    if "fifo" in case.needs and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    as_nobody = "non-root" in case.needs
    if as_nobody and os.geteuid() == 0:
        _warm_up(workdir, case)
    db = seeded_db(workdir)
    before = files_digest(db)
    inputs = workdir / "input"
    inputs.mkdir(mode=0o777)
    target = case.make(inputs)

    code, out, err = run_cli(["--db", str(db), "import", str(target), *case.args], as_nobody)

    assert (code, out) == (case.code, ""), err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert case.expect.replace("{path}", str(target)) in lines[0]
    assert files_digest(db) == before


@pytest.mark.parametrize("case", DB_CASES, ids=[c.name for c in DB_CASES])
def test_a_database_that_cannot_be_opened_gets_one_line_and_is_left_alone(
    case: DbCase, workdir: Path
) -> None:
    db = seeded_db(workdir)
    url = case.make(db)
    before = files_digest(db)

    code, out, err = run_cli(["--db", url, "task", "list"])

    assert (code, out) == (case.code, ""), err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert case.expect in lines[0]
    assert files_digest(db) == before
