"""`db copy`: a laptop's SQLite file to a server and back, every row and id kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text

from orchestrator_tui.app import short_location
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.domain.workspace import FileChange
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.services.plans import DEMO_SOURCE, sample_plan_path
from orchestrator_tui.store.schema import SCHEMA_VERSION
from orchestrator_tui.store.tables import metadata
from orchestrator_tui.workspaces.worktree import Captured, Layout

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


def every_row(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, by primary key, as the schema types read them
    (but the schema's own notes, such as when the database was made)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    dict(r._mapping)
                    for r in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in metadata.sorted_tables
                if table.name != "schema_meta"
            }
    finally:
        engine.dispose()


def a_laptop_with_every_table_filled(url: str) -> None:
    """The demo plan, a question and a run's recorded changes: a row in every table
    (checked by the caller, so a new table without rows here fails the test)."""
    orch = open_orchestrator(url, "alice")
    orch.plans.load_file(sample_plan_path(), source=DEMO_SOURCE)
    run_id, key = rows(
        url,
        "SELECT r.id, t.key FROM runs r JOIN tasks t ON t.id = r.task_id "
        "WHERE t.status = 'in_progress' ORDER BY r.id",
    )[0]
    orch.as_actor("bot").questions.ask(str(key), "which region?")
    where = Layout(Path("/repo"), "main", f"task/{key}", Path("/wt") / str(key), str(key))
    files = [FileChange(path="a.py", added=3, removed=1)]
    orch.workspaces.record(int(run_id), where, Captured("b0", "h1", "h1", files, "+x\n", 3), [])
    orch.close()


def test_a_round_trip_through_the_other_database_keeps_everything(
    databases: Databases, tmp_path: Path
) -> None:
    laptop = f"sqlite:///{tmp_path / 'laptop.db'}"
    a_laptop_with_every_table_filled(laptop)
    before = every_row(laptop)
    assert [name for name, held in before.items() if not held] == []
    server = databases.url("server")  # PostgreSQL in the [postgres] run
    back = f"sqlite:///{tmp_path / 'back.db'}"

    code, out, err = copy(laptop, server)
    assert code == 0, err
    assert out.startswith("copied sqlite:///")
    assert f"(schema version {SCHEMA_VERSION})" in out
    code, _, err = copy(server, back)
    assert code == 0, err

    assert every_row(server) == before
    assert every_row(back) == before
    assert export(back, tmp_path / "back") == export(laptop, tmp_path / "laptop")
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
    open_orchestrator(str(tmp_path / "a.db"), "alice").close()  # a source that exists
    copied = run_in_process(["db", "copy", f"sqlite:///{tmp_path / 'a.db'}", unreachable])
    for result in (status, copied):
        assert result.code != 0 and result.out == ""
        assert "s3cret-pw" not in result.err and "orch:***@127.0.0.1:1" in result.err
    # libpq also takes the password as a query parameter.
    in_query = "postgresql+psycopg://orch@127.0.0.1:1/nowhere?password=s3cret-pw&sslmode=allow"
    status = run_in_process(["--db", in_query, "db", "status"])
    assert status.code != 0 and "s3cret-pw" not in status.err
    assert "nowhere?password=***&sslmode=allow" in status.err
    assert short_location(in_query) == "127.0.0.1:1/nowhere?password=***&sslmode=allow"


def test_a_missing_source_file_is_refused_and_nothing_is_made(tmp_path: Path) -> None:
    missing, target = tmp_path / "typo.db", tmp_path / "target.db"
    code, out, err = copy(str(missing), str(target))
    assert code == 3 and out == ""
    assert f"no database at {missing}" in err
    assert not missing.exists() and not target.exists()
