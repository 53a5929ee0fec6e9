"""The bulk insert path stores exactly what SQLAlchemy's own insert stores."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.domain.natural import natural_key
from orchestrator_tui.services.tasks import spec_to_values
from orchestrator_tui.store.bulk import bulk_insert
from orchestrator_tui.store.tables import Task


def _pop_key(row: dict) -> str:
    """The row's key, taken out with its natural-order form (which must be the key's)."""
    key = row.pop("key")
    assert row.pop("key_order") == natural_key(key), key
    return key


def test_bulk_insert_matches_core_insert(orch):
    now = datetime(2025, 5, 1, 12, 30, tzinfo=UTC)
    spec = TaskSpec(title="t", tags=["a"], extra={"k": [1, None]}, success_criteria=["ok"])
    first = {**spec_to_values(spec, now), "key": "core"}
    second = {**spec_to_values(spec, now), "key": "bulk"}
    with orch.db.write() as conn:
        conn.execute(Task.__table__.insert(), [first])
        bulk_insert(conn, Task.__table__, [second])
    with orch.db.read() as conn:
        rows = conn.execute(text("SELECT * FROM tasks ORDER BY id")).all()
    core, bulk = (dict(r._mapping) for r in rows)
    for row in (core, bulk):
        row.pop("id")
        _pop_key(row)
    assert bulk == core
    assert core["version"] == 1  # a column default the bulk path must fill in too


def test_bulk_insert_fills_callable_defaults(orch):
    from orchestrator_tui.store.tables import Agent

    now = datetime(2025, 5, 1, tzinfo=UTC)
    with orch.db.write() as conn:
        bulk_insert(conn, Agent.__table__, [{"name": "a1", "registered_at": now}])
    with orch.db.read() as conn:
        agents = Agent.__table__.c
        meta, capabilities = conn.execute(select(agents.meta, agents.capabilities)).one()
    assert (meta, capabilities) == ({}, [])


def test_repeated_values_are_stored_as_when_processed_one_by_one(orch):
    """Values that repeat in a column are processed once; what is stored is the same."""
    from datetime import timedelta, timezone

    utc = datetime(2025, 5, 1, 12, 30, tzinfo=UTC)
    same_instant = utc.astimezone(timezone(timedelta(hours=2)))  # equal, other zone
    rows = []
    for i, when in enumerate([utc, same_instant, None, utc + timedelta(seconds=1)]):
        spec = TaskSpec(
            title=f"t{i}",
            tags=["a", "b"] if i % 2 else [],
            extra={} if i < 2 else {"n": [i, True]},
            requires_approval=bool(i % 2),
        )
        row = {**spec_to_values(spec, utc), "key": f"k{i}", "deadline": when}
        rows.append(row)
    core = [{**r, "key": "core-" + r["key"]} for r in rows]
    with orch.db.write() as conn:
        conn.execute(Task.__table__.insert(), core)
        bulk_insert(conn, Task.__table__, rows)
    with orch.db.read() as conn:
        stored = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM tasks ORDER BY id"))]
    for row in stored:
        row.pop("id")
        row["key"] = _pop_key(row).removeprefix("core-")
    assert stored[4:] == stored[:4]
    assert stored[0]["deadline"] == stored[1]["deadline"] != stored[3]["deadline"]


def test_the_collector_comes_back_after_bulk_work():
    import gc

    from orchestrator_tui.store.bulk import collector_paused

    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer one still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left off by whoever turned it off
    finally:
        gc.enable()


def test_documents_made_from_fragments_are_what_json_dumps_writes():
    import json

    from orchestrator_tui.store.bulk import flat_document_column, flat_documents

    keys = ("key", "title", "100%")
    make = flat_documents(*keys)
    rows = [("a", "b", "c"), ("ké", 'quote " and \\ back', "tab\t\x00\u2028 ☃")]
    for values in rows:
        assert make(*values) == json.dumps(dict(zip(keys, values, strict=True)))
    columns = [list(column) for column in zip(*rows, strict=True)]
    assert flat_document_column(keys, *columns) == [
        json.dumps(dict(zip(keys, values, strict=True))) for values in rows
    ]


def test_rows_given_by_column_store_what_core_stores(orch):
    """Column-wise rows (a pre-serialised JSON column, a column NULL in every row,
    lists of words, mappings) store exactly what SQLAlchemy's insert stores."""
    from orchestrator_tui.store.bulk import flat_documents, insert_columns
    from orchestrator_tui.store.tables import Event

    now = datetime(2025, 5, 1, 12, 30, tzinfo=UTC)
    data = flat_documents("key", "title")
    with orch.db.write() as conn:
        conn.execute(
            Event.__table__.insert(),
            [
                {"created_at": now, "actor": "a", "kind": "k", "task_id": None, "data": d}
                for d in ({"key": "x", "title": "é"}, {"key": "y", "title": "t"})
            ],
        )
        insert_columns(
            conn,
            Event.__table__,
            {
                "created_at": [now, now],
                "actor": ["a", "a"],
                "kind": ["k", "k"],
                "task_id": [None, None],
                "data": [data("x", "é"), data("y", "t")],
            },
            serialised=("data",),
        )
        rows = [
            {**spec_to_values(TaskSpec(title=f"t{i}", tags=["a"], extra={"n": i}), now), "key": k}
            for i, k in enumerate(["c1", "c2"])
        ]
        conn.execute(Task.__table__.insert(), rows)
        columns = {name: [r[name] for r in rows] for name in rows[0]}
        columns["key"] = ["b1", "b2"]
        insert_columns(conn, Task.__table__, columns)
    with orch.db.read() as conn:
        events = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM events ORDER BY id"))]
        tasks = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM tasks ORDER BY id"))]
    for row in events + tasks:
        row.pop("id")
    for row in tasks:
        _pop_key(row)
    assert events[2:] == events[:2]
    assert events[0]["data"] in ('{"key": "x", "title": "\\u00e9"}', {"key": "x", "title": "é"})
    assert tasks[2:] == tasks[:2] and tasks[0]["assignee"] is None


def test_mappings_and_lists_are_serialised_as_json_dumps_writes():
    import json

    import pytest

    from orchestrator_tui.store.bulk import _ENCODE

    documents = [
        {},
        [],
        {"n": 1, "f": 2.5, "big": 10**30, "nan": float("nan"), "inf": float("-inf")},
        {"ké": ["tab\t\x00\u2028 ☃", None, True, False], "nested": {"a": [{"b": []}]}},
        [1, "two", {"three": 3.0}],
    ]
    for document in documents:
        assert _ENCODE(document) == json.dumps(document)
    with pytest.raises(TypeError, match="not JSON serializable"):
        _ENCODE({"when": datetime(2025, 1, 1, tzinfo=UTC)})
    loop: dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular reference"):
        _ENCODE(loop)
    assert _ENCODE({"after": "a failure"}) == '{"after": "a failure"}'


def test_a_column_of_mappings_is_serialised_as_json_dumps_writes_each():
    import json

    import pytest

    from orchestrator_tui.store.bulk import _encode_each

    shared = {"a": [1, 2]}
    documents = [{"n": 1, "f": 2.5, "nan": float("nan")}, shared, {"again": shared}, shared, {}]
    assert _encode_each(documents) == [json.dumps(d) for d in documents]
    loop: dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular reference"):
        _encode_each([{"x": 1}, loop])
