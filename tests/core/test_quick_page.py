"""The task list's first page read with the standard library (before SQLAlchemy
loads) must match the real query row for row."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from pathlib import Path

from orchestrator_tui.domain.enums import DependencyType, Priority
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.domain.natural import natural_key
from orchestrator_tui.services import TaskFilter, open_orchestrator
from orchestrator_tui.store.quick import DIGITS, NATURAL_KEY_SQL, first_page, sqlite_file
from orchestrator_tui.store.sqlite_functions import install_sqlite_functions


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


def test_the_sort_key_in_sql_is_natural_key() -> None:
    """The quick page sorts in plain SQL where it can; every key sorts as
    `natural_key` says, including those that fall back to the Python function."""
    conn = sqlite3.connect(":memory:")
    install_sqlite_functions(conn)
    keys = ["PAY-10", "pay-2", "PAY-007", "PAY-2.10", "x1y2", "123", "", "-5", "T-0", "t-00"]
    keys += ["a" + "9" * 20, "a" + "9" * 21, "ÄB-3", "Ω-2", "é", "tab\t1", "A b 5", "[x]-2"]
    for key in keys:
        (got,) = conn.execute(
            f"SELECT {NATURAL_KEY_SQL} FROM (SELECT ? AS key, rtrim(?, ?) AS stem) AS s",
            (key, key, DIGITS),
        ).fetchone()
        assert got == natural_key(key), key
