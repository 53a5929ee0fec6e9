"""Keys sort naturally (PAY-2 before PAY-10) and statuses in workflow order, in
the services, the CLI and the quick first page alike."""

from __future__ import annotations

import random
from typing import Any

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.domain.natural import natural_key
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.store.quick import first_page

#: Keys the SQL rule must agree on with the Python one, plain and odd alike.
ODD_KEYS = ["PAY-10", "pay-2", "PAY-007", "PAY-2.10", "x1y2", "123", "", "-5", "T-0", "t-00"]
ODD_KEYS += ["a" + "9" * 20, "a" + "9" * 21, "ÄB-3", "Ω-2", "é", "tab\t1", "A b 5", "[x]-2"]

KEYS = ["PAY-10", "ZZ-1", "pay-2", "PAY-1", "AAA-1", "PAY-2.10", "PAY-2.9", "SELF-1", "PAY-007"]
NATURAL = ["AAA-1", "PAY-1", "pay-2", "PAY-2.9", "PAY-2.10", "PAY-007", "PAY-10", "SELF-1", "ZZ-1"]


def test_natural_key_orders_numbers_by_value():
    assert sorted(KEYS, key=lambda k: (natural_key(k), k)) == NATURAL
    assert natural_key("a" + "9" * 25) == "a" + "9" * 25  # too long to pad: left alone


def add_all(orch: Orchestrator) -> None:
    shuffled = KEYS[:]
    random.Random(7).shuffle(shuffled)
    for key in shuffled:
        orch.tasks.create(TaskSpec(key=key, title=f"task {key}"))


def check_sorts(orch: Orchestrator) -> None:
    add_all(orch)
    q = orch.queries
    assert [r.key for r in q.list_tasks(sort="key")] == NATURAL
    assert [r.key for r in q.list_tasks(sort="key", descending=True)] == NATURAL[::-1]
    for index, key in enumerate(NATURAL):  # paging and the cursor agree with the list
        assert q.position_of(key, sort="key") == index
        assert [r.key for r in q.list_tasks(sort="key", limit=1, offset=index)] == [key]
    # Status: the workflow order, not the alphabet.
    for key, status in (("ZZ-1", "done"), ("AAA-1", "blocked"), ("SELF-1", "awaiting")):
        if status == "done":
            orch.tasks.start(key)
            orch.tasks.complete(key)
        elif status == "blocked":
            orch.tasks.block(key)
        else:
            orch.tasks.edit(key, _approval())
            orch.tasks.start(key)
            orch.tasks.complete(key)
    statuses = [r.status for r in q.list_tasks(sort="status")]
    s = TaskStatus
    assert statuses == [s.PENDING] * 6 + [s.AWAITING_APPROVAL, s.BLOCKED, s.DONE]


def _approval():
    from orchestrator_tui.domain.models import TaskPatch

    return TaskPatch(requires_approval=True)


def test_services_sort_keys_naturally_and_statuses_by_workflow(orch: Orchestrator) -> None:
    check_sorts(orch)


@pytest.mark.sqlite_only  # the quick first page reads the SQLite file directly
def test_quick_first_page_sorts_like_the_query(orch: Orchestrator, db_url: str) -> None:
    add_all(orch)
    page = first_page(db_url, 100)
    assert page is not None and [r.key for r in page[1]] == NATURAL


def test_cli_task_list_sorts_keys_naturally(
    orch: Orchestrator, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    add_all(orch)
    capsys.readouterr()
    assert main(["--db", db_url, "task", "list", "--sort", "key"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in lines] == NATURAL


def test_keys_by_prefix_and_case_insensitive_resolution(orch: Orchestrator) -> None:
    add_all(orch)
    q = orch.queries
    assert q.keys_starting_with("pay-", 3) == ["PAY-1", "pay-2", "PAY-2.9"]
    assert q.keys_starting_with("pay-1", 5) == ["PAY-1", "PAY-10"]
    assert q.keys_starting_with("%", 5) == [] and q.keys_starting_with("_", 5) == []
    assert q.resolve_key("zz-1") == "ZZ-1"
    assert q.resolve_key("pay-2") == "pay-2"  # exact wins
    assert q.resolve_key("PAY-2") == "pay-2"
    assert q.resolve_key("nope") is None


def _stored_orders(orch: Orchestrator) -> dict[str, str | None]:
    from sqlalchemy import select

    from orchestrator_tui.store.tables import Task

    t = Task.__table__.c
    with orch.db.read() as conn:
        return dict(conn.execute(select(t.key, t.key_order)).all())


def test_every_way_a_task_is_written_stores_its_natural_key(orch: Orchestrator) -> None:
    """`tasks.key_order` holds `domain.natural.natural_key(key)` (the one rule; the list
    sorts by the column) for a task created one by one and for those a plan loads in
    bulk (on SQLite column by column, on PostgreSQL through SQLAlchemy)."""
    from orchestrator_tui.domain.plan import PlanSpec, PlanTask

    add_all(orch)
    planned = [f"PLAN-{n}" for n in (10, 9, 100)] + ["a1b22", "X" + "7" * 25]
    orch.plans.load(PlanSpec(tasks=[PlanTask(key=k, title=k) for k in planned]), "plan.yaml")
    stored = _stored_orders(orch)
    assert stored == {k: natural_key(k) for k in KEYS + planned}
    listed = [r.key for r in orch.queries.list_tasks(sort="key")]
    assert listed[:4] == ["a1b22", "AAA-1", "PAY-1", "pay-2"]


def test_the_column_default_and_the_bulk_insert_store_the_same_key_for_any_text(
    databases: Any,
) -> None:
    """Below the services' key rules: the Core insert's default (one row, and many
    through SQLAlchemy) and `bulk`'s column-by-column insert give `natural_key` of any
    text, including keys no service would accept."""
    from sqlalchemy import select

    from orchestrator_tui.store.bulk import bulk_insert, insert_columns
    from orchestrator_tui.store.tables import Task

    orch = open_orchestrator(databases.url(), "tester")
    tasks, now = Task.__table__, orch.ctx.now()

    def row(key: str) -> dict[str, Any]:
        return {"key": key, "title": key, "created_at": now, "updated_at": now}

    third = len(ODD_KEYS) // 3
    with orch.db.write() as conn:
        conn.execute(tasks.insert().values(**row(ODD_KEYS[0])))
        conn.execute(tasks.insert(), [row(k) for k in ODD_KEYS[1:third]])
        bulk_insert(conn, tasks, [row(k) for k in ODD_KEYS[third : 2 * third]])
        rest = [row(k) for k in ODD_KEYS[2 * third :]]
        insert_columns(conn, tasks, {name: [r[name] for r in rest] for name in rest[0]})
        stored = dict(conn.execute(select(tasks.c.key, tasks.c.key_order)).all())
    orch.close()
    assert stored == {k: natural_key(k) for k in ODD_KEYS}


def test_the_quick_path_of_natural_key_is_the_general_rule() -> None:
    """`natural_key` takes a shortcut for a key ending in its only number; it gives
    what padding every run of digits gives."""
    import re

    from orchestrator_tui.domain.natural import NUMBER_WIDTH

    def general(text: str) -> str:
        def pad(m: re.Match[str]) -> str:
            d = m.group(0)
            return d if len(d) > NUMBER_WIDTH else d.rjust(NUMBER_WIDTH, "0")

        return re.sub(r"[0-9]+", pad, text.lower())

    rng = random.Random(11)
    alphabet = "aZ-._/:09 7Äß\u0130\u2460"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(12))) for _ in range(3000)]
    texts += ODD_KEYS + [f"PAY-{n}" for n in (0, 7, 10**19, 10**20, 10**25)]
    for text in texts:
        assert natural_key(text) == general(text), text
