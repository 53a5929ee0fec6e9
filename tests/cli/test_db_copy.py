"""`db copy`: a laptop's SQLite file to a server and back, every row and id kept."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.services.plans import sample_plan_path

from ..databases import Databases
from .support import run_in_process


def copy(*args: str) -> tuple[int, str, str]:
    result = run_in_process(["db", "copy", *args])
    return result.code, result.out, result.err


def export(url: str, folder: Path) -> str:
    """Our JSON export (named after its file: the same name for every database)."""
    folder.mkdir()
    path = folder / "plan.json"
    assert run_in_process(["--db", url, "export", str(path)]).code == 0
    return path.read_text()


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_round_trip_through_the_other_database_keeps_everything(
    databases: Databases, tmp_path: Path
) -> None:
    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    orch = open_orchestrator(laptop, "alice")
    orch.plans.load_file(sample_plan_path())
    orch.close()
    server = databases.url("server")  # PostgreSQL in the [postgres] run
    back = f"sqlite:///{tmp_path / 'back.db'}"

    code, out, err = copy(laptop, server)
    assert code == 0, err
    assert out.startswith("copied sqlite:///") and "(schema version 1)" in out
    code, _, err = copy(server, back)
    assert code == 0, err

    assert export(back, tmp_path / "back") == export(laptop, tmp_path / "laptop")
    every_event = "SELECT id, kind, actor, task_id, run_id FROM events ORDER BY id"
    assert rows(server, every_event) == rows(laptop, every_event)
    assert rows(back, every_event) == rows(laptop, every_event)
    parents = "SELECT id, parent_id FROM tasks ORDER BY id"
    assert rows(back, parents) == rows(laptop, parents)
    # New rows on the server continue after the copied ids.
    on_server = open_orchestrator(server, "bob")
    on_server.tasks.create(TaskSpec(key="NEW-1", title="made on the server"))
    on_server.close()
    for table in ("tasks", "events"):
        newest = rows(server, f"SELECT MAX(id) FROM {table}")[0][0]
        assert newest == rows(laptop, f"SELECT MAX(id) FROM {table}")[0][0] + 1


def test_a_non_empty_destination_is_refused_unless_replaced(
    databases: Databases, tmp_path: Path
) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    orch = open_orchestrator(source, "alice")
    orch.plans.load_file(sample_plan_path())
    orch.close()
    target = databases.url("target")
    other = open_orchestrator(target, "bob")
    other.tasks.create(TaskSpec(key="KEEP-1", title="already here"))
    other.close()

    code, out, err = copy(source, target)
    assert code == 7 and out == ""
    assert err.startswith("error: ") and "is not empty (events 1, tasks 1)" in err
    assert rows(target, "SELECT key FROM tasks") == [("KEEP-1",)]

    code, _, err = copy(source, target, "--replace")
    assert code == 0, err
    assert ("KEEP-1",) not in rows(target, "SELECT key FROM tasks")
    assert rows(target, "SELECT COUNT(*) FROM tasks") == rows(source, "SELECT COUNT(*) FROM tasks")


def test_a_password_in_a_url_never_shows(tmp_path: Path) -> None:
    unreachable = "postgresql+psycopg://orch:s3cret-pw@127.0.0.1:1/nowhere"
    status = run_in_process(["--db", unreachable, "db", "status"])
    copied = run_in_process(["db", "copy", f"sqlite:///{tmp_path / 'a.db'}", unreachable])
    for result in (status, copied):
        assert result.code != 0 and result.out == ""
        assert "s3cret-pw" not in result.err and "orch:***@127.0.0.1:1" in result.err
