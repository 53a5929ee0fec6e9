"""A SQLite database on a read-only file system can still be read and backed up
(opened read-only and immutable); writes are refused with one line."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.services.importers import import_path

PLAN = Path(__file__).resolve().parent.parent / "fixtures" / "plan.yaml"


@pytest.fixture
def read_only_db(tmp_path: Path) -> Iterator[Path]:
    """A WAL database on a file system then remounted read-only (needs root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a file system needs root")
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        db = mount / "orch.db"
        orch = open_orchestrator(str(db), "alice")
        import_path(orch, PLAN)
        orch.close()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield db
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


def test_reads_and_backups_work_on_a_read_only_file_system(capsys, tmp_path, read_only_db):
    assert main(["--db", str(read_only_db), "task", "list"]) == 0
    assert "P-3" in capsys.readouterr().out
    copy = tmp_path / "copy.db"
    assert main(["--db", str(read_only_db), "db", "backup", str(copy)]) == 0
    assert capsys.readouterr().out == f"backed up to {copy}\n"
    assert main(["--db", str(copy), "task", "show", "P-1"]) == 0

    assert main(["--db", str(read_only_db), "task", "start", "P-2"]) == 6
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "readonly" in err
