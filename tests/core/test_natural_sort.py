"""Keys sort naturally (PAY-2 before PAY-10) and statuses in workflow order, in
the services, the CLI and the quick first page alike."""

from __future__ import annotations

import random

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.domain.natural import natural_key
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.store import sqlite_functions
from orchestrator_tui.store.natural import natural_key as natural_key_column
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


@pytest.mark.sqlite_only  # the plain-SQL form is SQLite's
def test_the_sqlite_sort_key_is_natural_key_for_every_key() -> None:
    """`natural_key(column)` compiled for SQLite (plain SQL where it can, the Python
    function for the rest) gives what `domain.natural.natural_key` gives."""
    from sqlalchemy import Column, MetaData, String, Table, create_engine, event, insert, select

    engine = create_engine("sqlite://")
    event.listen(engine, "connect", lambda conn, _: sqlite_functions.install_sqlite_functions(conn))
    keys = Table("keys", MetaData(), Column("key", String))
    keys.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(keys), [{"key": k} for k in ODD_KEYS])
        got = dict(conn.execute(select(keys.c.key, natural_key_column(keys.c.key))).all())
    assert got == {k: natural_key(k) for k in ODD_KEYS}


@pytest.mark.sqlite_only
def test_sorting_usual_keys_calls_no_python_per_row(
    orch: Orchestrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite sorts keys like PAY-47 by itself: a reload of the list does not hold the
    interpreter's lock once per task (which stalled the TUI's keys at 100k tasks)."""
    add_all(orch)
    calls: list[str] = []

    def counted(text: str) -> str:
        calls.append(text)
        return natural_key(text)

    monkeypatch.setattr(sqlite_functions, "natural_key", counted)
    assert [r.key for r in orch.queries.list_tasks(sort="key")] == NATURAL
    assert orch.queries.position_of("PAY-10", sort="key") == NATURAL.index("PAY-10")
    assert set(calls) <= {"PAY-2.10", "PAY-2.9"}  # a number inside the key: the function
