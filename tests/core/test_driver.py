"""Prepared statements read and write what SQLAlchemy reads and writes, on
SQLite through the driver's cursor and elsewhere through SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from orchestrator_tui.services import Orchestrator
from orchestrator_tui.store.driver import Prepared
from orchestrator_tui.store.tables import Task

from .support import add

T = Task.__table__.c
WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)

# Typed columns both ways (a time, JSON, a flag), a fixed word and an IN list.
_READ = select(T.id, T.key, T.retry_after, T.command, T.requires_approval, T.tags).where(
    T.id.in_(bindparam("ids", expanding=True)), T.status == "pending"
)
_WRITE = (
    update(Task.__table__)
    .where(T.id == bindparam("tid"))
    .values(retry_after=bindparam("at"), tags=bindparam("tags"), requires_approval=True)
)


def _tasks(orch: Orchestrator, n: int) -> list[int]:
    for i in range(n):
        add(orch, f"P-{i}", command={"argv": ["echo", f"{i}"]})
    with orch.db.read() as conn:
        return list(conn.execute(select(T.id).order_by(T.id)).scalars())


def test_rows_and_writes_are_those_of_sqlalchemy(orch: Orchestrator) -> None:
    ids = _tasks(orch, 4)
    writes = [
        {"tid": tid, "at": WHEN + timedelta(seconds=i), "tags": ["a", f"t{i}"]}
        for i, tid in enumerate(ids)
    ]
    with orch.db.write() as conn:
        Prepared(_WRITE).many(conn, writes)
    read = Prepared(_READ)
    for chosen in (ids[:1], ids[1:3], ids, ids[:1]):  # a shape for each list length
        with orch.db.read() as conn:
            ours = read.rows(conn, {"ids": chosen})
            theirs = list(conn.execute(_READ, {"ids": chosen}))
        assert [tuple(r) for r in ours] == [tuple(r) for r in theirs]
        assert [r._mapping for r in ours] == [dict(r._mapping) for r in theirs]
    first = ours[0]
    assert first.retry_after == WHEN and first.retry_after.tzinfo is not None
    assert first.command["argv"] == ["echo", "0"] and first.tags == ["a", "t0"]
    assert first.requires_approval is True


def test_an_empty_list_reads_nothing(orch: Orchestrator) -> None:
    _tasks(orch, 2)
    with orch.db.read() as conn:
        assert Prepared(_READ).rows(conn, {"ids": []}) == []


def test_a_refused_write_raises_what_sqlalchemy_raises(orch: Orchestrator) -> None:
    ids = _tasks(orch, 2)
    rename = update(Task.__table__).where(T.id == bindparam("tid")).values(key=bindparam("k"))
    with pytest.raises(IntegrityError), orch.db.write() as conn:
        Prepared(rename).many(conn, [{"tid": ids[1], "k": "P-0"}])  # the key is taken
    with orch.db.read() as conn:
        assert conn.execute(select(T.key).where(T.id == ids[1])).scalar() == "P-1"
