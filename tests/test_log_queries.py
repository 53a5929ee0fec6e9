"""Log paging backwards and searching a run's lines in the database."""

from __future__ import annotations

import uuid

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.store.tables import LogLine, Run, utcnow


def add_run(orch: Orchestrator, texts: list[str]) -> int:
    task = orch.tasks.create(TaskSpec(title="logged"))
    now = utcnow()
    with orch.db.write() as conn:
        run_id = conn.execute(
            Run.__table__.insert().values(
                execution_id=str(uuid.uuid4()),
                task_id=task.id,
                status="running",
                started_at=now,
                outputs={},
            )
        ).inserted_primary_key[0]
        conn.execute(
            LogLine.__table__.insert(),
            [
                {"run_id": run_id, "seq": i, "stream": "stdout", "text": t, "created_at": now}
                for i, t in enumerate(texts)
            ],
        )
    return run_id


def test_lines_before_pages_backwards_in_order(orch: Orchestrator) -> None:
    run_id = add_run(orch, [f"line {i}" for i in range(50)])
    assert [v.seq for v in orch.queries.log_lines_before(run_id, limit=3)] == [47, 48, 49]
    assert [v.seq for v in orch.queries.log_lines_before(run_id, 10, limit=4)] == [6, 7, 8, 9]
    assert [v.text for v in orch.queries.log_lines_before(run_id, 2, limit=5)] == [
        "line 0",
        "line 1",
    ]
    assert orch.queries.log_lines_before(run_id, 0) == []


def test_find_log_lines_is_case_insensitive_literal_and_directional(orch: Orchestrator) -> None:
    texts = ["start", "an ERROR here", "100% done_x", "fine", "error again", "50%"]
    run_id = add_run(orch, texts)
    q = orch.queries
    assert [v.seq for v in q.find_log_lines(run_id, "error")] == [1, 4]
    assert [v.seq for v in q.find_log_lines(run_id, "error", after_seq=1)] == [4]
    assert [v.seq for v in q.find_log_lines(run_id, "error", backwards=True)] == [4, 1]
    assert [v.seq for v in q.find_log_lines(run_id, "error", before_seq=4, backwards=True)] == [1]
    # LIKE wildcards in the query are literal.
    assert [v.seq for v in q.find_log_lines(run_id, "%")] == [2, 5]
    assert [v.seq for v in q.find_log_lines(run_id, "d_n")] == []
    assert [v.seq for v in q.find_log_lines(run_id, "e_x")] == [2]


def test_find_log_lines_offers_lines_whose_escapes_split_a_word(orch: Orchestrator) -> None:
    texts = ["plain", "ER\x1b[31mROR", "\x1b[31mred\x1b[0m only", "tab\tstop", "caf\u00e9 ok"]
    run_id = add_run(orch, texts)
    q = orch.queries
    assert [v.seq for v in q.find_log_lines(run_id, "error")] == [1]
    assert [v.seq for v in q.find_log_lines(run_id, "tab  stop")] == [3]
    assert [v.seq for v in q.find_log_lines(run_id, "CAF\u00c9")] == [4]
