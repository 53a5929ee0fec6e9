"""Read commands never create a database; the commands that make something say
when they created one; a database file replaced under an open connection is
noticed before anything is read or written."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.domain.errors import DatabaseUnavailable
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import open_orchestrator

PLAN = Path(__file__).resolve().parent.parent / "fixtures" / "plan.yaml"

READS = [
    ("task", "list"),
    ("task", "show", "A"),
    ("task", "logs", "A"),
    ("task", "next"),
    ("stats",),
    ("approvals",),
    ("agent", "list"),
    ("db", "status"),
    ("db", "validate"),
    ("db", "backup"),
    ("export", "out.json"),
    ("task", "start", "A"),
]


@pytest.mark.parametrize("command", READS, ids=[" ".join(c) for c in READS])
def test_a_command_that_makes_nothing_never_creates_a_database(
    capsys, tmp_path, monkeypatch, command
):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "missing.db"
    code = main(["--db", str(db), *command])
    out, err = capsys.readouterr()
    assert (code, out) == (3, "")
    assert err == (
        f"error: no database at {db}; create one with `orchestrator-tui db init` "
        "(or `db seed`, or `import` a file)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_import_into_a_new_database_says_it_created_one(capsys, tmp_path):
    db = tmp_path / "new.db"
    assert main(["--db", str(db), "import", str(PLAN)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("imported 3 tasks")
    assert out[1] == f"created a new database at {db}"
    assert main(["--db", str(db), "import", str(PLAN)]) == 0
    assert "created" not in capsys.readouterr().out


@pytest.mark.parametrize("extra", [["--dry-run"], ["--format", "task-master"]])
def test_a_dry_run_or_a_failed_import_leaves_no_new_database(capsys, tmp_path, extra):
    db = tmp_path / "data" / "new.db"
    db.parent.mkdir()
    main(["--db", str(db), "import", str(PLAN), *extra])
    assert "created" not in capsys.readouterr().out
    assert list(db.parent.iterdir()) == []


@pytest.mark.parametrize("replace", [False, True], ids=["deleted", "replaced"])
def test_a_database_deleted_or_replaced_under_an_open_connection_is_refused(tmp_path, replace):
    db = tmp_path / "orch.db"
    orch = open_orchestrator(str(db), "alice")
    orch.tasks.create(TaskSpec(key="A", title="a"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if replace:
        open_orchestrator(str(db), "bob").close()
    message = f"the database file {db} was deleted or replaced after it was opened"
    with pytest.raises(DatabaseUnavailable, match=message):
        orch.tasks.create(TaskSpec(key="B", title="b"))
    with pytest.raises(DatabaseUnavailable, match=message):
        orch.queries.count_tasks()
    orch.close()
    assert db.exists() is replace


MAKERS = [
    (("task", "add", "first"), "T-1 added: now pending"),
    (("agent", "register", "ada"), "agent ada registered (coding)"),
]


@pytest.mark.parametrize("command,said", MAKERS, ids=[" ".join(c) for c, _ in MAKERS])
def test_task_add_and_agent_register_say_they_created_a_database(capsys, tmp_path, command, said):
    db = tmp_path / "new.db"
    assert main(["--db", str(db), *command]) == 0
    assert capsys.readouterr().out.splitlines() == [said, f"created a new database at {db}"]
    assert main(["--db", str(db), "--json", *command[:2], "second"]) == 0
    assert "created a new database" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [("task", "add", "x", "--depends-on", "NOPE"), ("task", "add", "x", "--key", "bad key")],
    ids=["unknown dependency", "bad key"],
)
def test_a_refused_task_add_leaves_no_new_database(capsys, tmp_path, command):
    folder = tmp_path / "data"
    folder.mkdir()
    code = main(["--db", str(folder / "new.db"), *command])
    out, err = capsys.readouterr()
    assert code in (3, 7) and out == "" and err.startswith("error: ")
    assert list(folder.iterdir()) == []


NOT_A_DATABASE = [
    ("task", "list"),
    ("task", "show", "A"),
    ("task", "add", "x"),
    ("import", str(PLAN)),
    ("db", "status"),
]


@pytest.mark.parametrize("command", NOT_A_DATABASE, ids=[" ".join(c) for c in NOT_A_DATABASE])
def test_a_file_that_is_not_a_database_is_refused_in_one_line(capsys, tmp_path, command):
    """`--db plan.yaml` by mistake: one line naming the file, exit 7, the file untouched."""
    db = tmp_path / "plan.yaml"
    db.write_text("version: 1\ntasks: []\n")
    code = main(["--db", str(db), *command])
    out, err = capsys.readouterr()
    assert (code, out) == (7, "")
    assert err == f"error: {db} is not a SQLite database; nothing was read or written\n"
    assert db.read_text() == "version: 1\ntasks: []\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.yaml"]
