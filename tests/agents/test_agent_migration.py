"""Schema version 4 (agent runs, plan budgets): a version-3 database keeps its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from orchestrator_tui.agents.parsers import Usage
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.services.agent_runs import RunUsage
from orchestrator_tui.store.tables import AGENT_RUN_COLUMNS

from .helpers import add_agent_task, serve


def _make_version_4(path: Path) -> None:
    """Undo versions 5, 6 and 9 on a database file: what an older orchestrator-tui wrote."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX ix_tasks_key_order")
        conn.execute("ALTER TABLE tasks DROP COLUMN key_order")
        conn.execute("ALTER TABLE runs DROP COLUMN cancel_requested")
        for name in AGENT_RUN_COLUMNS:
            conn.execute(f"ALTER TABLE runs DROP COLUMN {name}")
        conn.execute("DROP INDEX ix_tasks_plan")
        conn.execute("ALTER TABLE tasks DROP COLUMN plan")
        conn.execute("DROP TABLE plan_budgets")
        conn.execute("UPDATE schema_meta SET value='4' WHERE key='schema_version'")


def test_a_version_4_database_migrates_keeping_its_tasks_runs_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    orch = open_orchestrator(url, "tester")
    add_agent_task(orch, "A", "claude")
    serve(orch)
    (before,) = orch.queries.runs_for("A")
    orch.close()
    _make_version_4(path)
    with sqlite3.connect(path) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
        assert "cost_usd" not in columns

    orch = open_orchestrator(url, "tester")
    (after,) = orch.queries.runs_for("A")
    assert (after.id, after.status, after.line_count) == (
        before.id,
        before.status,
        before.line_count,
    )
    assert after.cost_usd is None  # unknown for old runs
    assert orch.queries.get_task("A").status.value == "done"
    spent = Usage(cost_usd=0.5)
    orch.agent_runs.record_usage([RunUsage(run_id=after.id, task_id=after.id, usage=spent)])
    assert orch.queries.runs_for("A")[0].cost_usd == 0.5
    assert list(tmp_path.glob("old.db.v4-*.bak"))
    orch.close()
