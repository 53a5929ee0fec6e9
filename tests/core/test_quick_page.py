"""The task list's first page read with the standard library (before SQLAlchemy
loads) must match the real query row for row."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from pathlib import Path

from orchestrator_tui.domain.enums import DependencyType, Priority
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import TaskFilter, open_orchestrator
from orchestrator_tui.store.quick import FIRST_PAGE_SQL, first_page, sqlite_file


def test_first_page_matches_list_tasks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    orch = open_orchestrator(url, "alice")
    try:
        for i in range(1, 8):
            orch.tasks.create(
                TaskSpec(
                    key=f"K-{i}",
                    title=f"[bold]title {i}",
                    priority=list(Priority)[i % 4],
                    assignee="bob" if i % 2 else None,
                    estimated_hours=i / 2 if i % 3 else None,
                    requires_approval=i == 5,
                )
            )
        orch.deps.add("K-3", "K-1")
        orch.deps.add("K-3", "K-2")
        orch.deps.add("K-4", "K-1", DependencyType.ENHANCES)
        orch.tasks.start("K-1")
        orch.tasks.complete("K-1")
        orch.tasks.start("K-6")
        orch.as_actor("bot").questions.ask("K-2", "which branch?")
        expected = orch.queries.list_tasks(TaskFilter(), "key", False, 5, 0)
        total = orch.queries.count_tasks(TaskFilter())
    finally:
        orch.close()

    for given in (url, str(tmp_path / "q.db")):
        page = first_page(given, 5)
        assert page is not None
        assert page[0] == total
        # Plain `ListRow`s (no pydantic before the first frame) with the same values.
        assert [asdict(row) for row in page[1]] == [row.model_dump() for row in expected]
    assert page[1][2].unfinished_blockers == 1  # K-3 still waits for K-2, not for done K-1
    assert page[1][1].open_questions == 1  # K-2 shows it asks from the first frame on


def test_first_page_gives_up_quietly(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    assert first_page(str(missing), 5) is None
    assert not missing.exists()  # never creates a database
    (tmp_path / "junk.db").write_bytes(b"not a database at all, just text" * 10)
    assert first_page(str(tmp_path / "junk.db"), 5) is None
    assert sqlite_file("postgresql://u:p@host/db") is None
    assert sqlite_file("sqlite:///:memory:") is None


def test_the_first_page_is_read_from_the_key_order_index(tmp_path: Path) -> None:
    """The first page walks the index on (`key_order`, id) and stops after its rows: no
    sort of every task (a temporary B-tree), no key computed per task. The list's own
    query in key order, and the CLI's quick one, use the index the same way."""
    from sqlalchemy.dialects import sqlite

    from orchestrator_tui.services.queries import SORTS
    from orchestrator_tui.services.views import row_select
    from orchestrator_tui.store.quick_sql import ROW_SQL, SORT_SQL
    from orchestrator_tui.store.tables import Task

    url = f"sqlite:///{tmp_path / 'q.db'}"
    open_orchestrator(url, "alice").close()
    t = Task.__table__.c
    listed = row_select().order_by(SORTS["key"], t.id).limit(100)
    queries = [
        FIRST_PAGE_SQL,
        f"{ROW_SQL} ORDER BY {SORT_SQL['key']}, t.id LIMIT ?",
        str(listed.compile(dialect=sqlite.dialect())),
    ]
    conn = sqlite3.connect(tmp_path / "q.db")
    for sql in queries:
        plan = [
            row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", (100,) * sql.count("?"))
        ]
        outer = [step for step in plan if "tasks" in step and "ix_tasks_key_order" in step]
        assert outer, plan
        assert not any("TEMP B-TREE" in step for step in plan), plan
    conn.close()
