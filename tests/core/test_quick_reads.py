"""The CLI's standard-library reads (`store/quick_reads.py`) must answer exactly as
the services do, and give up on anything they were not written for."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from orchestrator_tui.cli.common import to_jsonable
from orchestrator_tui.domain import rules
from orchestrator_tui.domain.enums import (
    AgentType,
    DependencyType,
    Priority,
    Readiness,
    TaskStatus,
)
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import Orchestrator, TaskFilter, open_orchestrator
from orchestrator_tui.services import rules as sql_rules
from orchestrator_tui.services.queries import SORTS
from orchestrator_tui.services.rules import T
from orchestrator_tui.store.quick_reads import READS_SCHEMA, GiveUp, open_reads
from orchestrator_tui.store.quick_sql import (
    NEXT_TASK_ARMS,
    SORT_SQL,
    SQLITE_DATETIME,
    next_task_sql,
    serves_sql,
)
from orchestrator_tui.store.schema import SCHEMA_VERSION
from orchestrator_tui.store.tables import Task


def _varied(orch: Orchestrator) -> list[str]:
    """Tasks in every shape the reads distinguish; their keys."""
    keys = []
    for i in range(1, 13):
        key = f"K-{i}" if i % 4 else f"k.{i}"
        keys.append(key)
        orch.tasks.create(
            TaskSpec(
                key=key,
                title=f"[bold]title {i}" + (" 100%_done" if i % 5 == 0 else ""),
                description="line one\nline two" if i % 2 else "",
                priority=list(Priority)[i % 4],
                assignee="bob" if i % 3 == 0 else None,
                agent_type=[None, AgentType.CODING, AgentType.TESTING][i % 3],
                estimated_hours=i / 2 if i % 3 else None,
                deadline=datetime(2027, 1, i, 9, 30, tzinfo=UTC) if i % 4 == 1 else None,
                success_criteria=[f"criterion {i}"] if i % 2 else [],
                requires_approval=i in (5, 6),
                command=CommandSpec(argv=["echo", str(i)]) if i % 2 == 0 else None,
                tags=["x", f"t{i}"] if i % 3 == 1 else [],
                extra={"n": i, "nested": {"a": [1, 2]}} if i == 7 else {},
                parent="K-1" if i in (2, 3) else None,
            )
        )
    orch.deps.add("K-3", "K-1")
    orch.deps.add("K-3", "K-2")
    orch.deps.add("K-6", "K-2", DependencyType.ENHANCES)
    orch.deps.add("K-7", "K-3")
    orch.tasks.start("K-1")
    orch.tasks.complete("K-1")
    orch.tasks.start("K-5")
    orch.tasks.complete("K-5")  # awaiting approval
    orch.tasks.start("K-6")
    orch.tasks.complete("K-6")
    orch.approvals.reject("K-6", "not yet")
    orch.tasks.start("K-9")
    orch.tasks.transition("K-10", TaskStatus.DEFERRED)
    orch.collab.progress("K-9", 40, "halfway")
    orch.collab.progress("K-9", 60)
    orch.as_actor("zed").collab.note("K-9", "zed's *notes*")
    orch.collab.note("K-9", "alice's notes")
    orch.collab.set_context("K-9", "goal: ship\nitems: [1, 2]\n")
    orch.questions.ask("K-2", "which branch?")
    orch.questions.ask("K-11", "answered?")
    orch.questions.answer("K-11", "yes")
    return keys


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Orchestrator, list[str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('quick') / 'q.db'}"
    orch = open_orchestrator(url, "alice")
    keys = _varied(orch)
    yield url, orch, keys
    orch.close()


def test_task_detail_and_history_match_the_services(
    db: tuple[str, Orchestrator, list[str]],
) -> None:
    url, orch, keys = db
    reads = open_reads(url)
    assert reads is not None
    q = orch.queries
    try:
        for key in keys:
            assert reads.get_task(key) == q.get_task(key), key
            assert reads.timeline(key) == q.timeline(key), key
            assert reads.timeline(key, limit=2) == q.timeline(key, limit=2), key
            assert reads.approvals_for(key) == q.approvals_for(key), key
            assert reads.progress_for(key) == q.progress_for(key), key
            assert reads.notes_for(key) == q.notes_for(key), key
            assert reads.context_for(key) == q.context_for(key), key
    finally:
        reads.close()
    # The shapes above were really exercised.
    assert orch.queries.get_task("K-3").parent == "K-1"
    assert [n.author for n in orch.queries.notes_for("K-9")] == ["alice", "zed"]
    assert orch.queries.approvals_for("K-6") and orch.queries.context_for("K-9")


def test_a_shortened_timeline_keeps_the_newest_events(
    db: tuple[str, Orchestrator, list[str]],
) -> None:
    """A task with more events than the limit shows its latest ones, oldest first."""
    url, orch, _ = db
    whole = orch.queries.timeline("K-9")
    assert len(whole) > 3
    assert orch.queries.timeline("K-9", limit=3) == whole[-3:]
    reads = open_reads(url)
    assert reads is not None
    try:
        assert reads.timeline("K-9", limit=3) == whole[-3:]
    finally:
        reads.close()


def test_next_ready_matches_the_services(db: tuple[str, Orchestrator, list[str]]) -> None:
    url, orch, _ = db
    reads = open_reads(url)
    assert reads is not None
    try:
        for agent in [None, *[a.value for a in AgentType]]:
            assert reads.next_ready(agent) == orch.queries.next_ready(agent), agent
        assert reads.next_ready() is not None
    finally:
        reads.close()


FILTERS = [
    {},
    {"text": "title 1"},
    {"text": "100%_"},
    {"text": "k."},
    {"text": "0%_"},
    {"text": "TITLE"},
    {"statuses": {TaskStatus.PENDING, TaskStatus.DONE}},
    {"assignee": "bob"},
    *({"readiness": {r}} for r in Readiness),
    {"readiness": {Readiness.READY, Readiness.WAITING}, "text": "k"},
]


def filter_id(fields: dict[str, object]) -> str:
    """Ids that do not depend on set order: every xdist worker must collect the same."""

    def shown(value: object) -> str:
        if isinstance(value, set):
            return "+".join(sorted(str(v.value) for v in value))
        return str(value)

    return ";".join(f"{name}={shown(value)}" for name, value in fields.items())


@pytest.mark.parametrize("fields", FILTERS, ids=filter_id)
def test_task_lists_match_the_services(
    db: tuple[str, Orchestrator, list[str]], fields: dict[str, object]
) -> None:
    url, orch, _ = db
    flt = TaskFilter(
        text=str(fields.get("text", "")),
        statuses=frozenset(fields.get("statuses", ())),  # type: ignore[arg-type]
        readiness=frozenset(fields.get("readiness", ())),  # type: ignore[arg-type]
        assignee=fields.get("assignee"),  # type: ignore[arg-type]
    )
    reads = open_reads(url)
    assert reads is not None
    try:
        for sort in SORTS:
            for descending in (False, True):
                for limit in (None, 3):
                    expected = orch.queries.list_tasks(flt, sort, descending, limit)
                    got = reads.list_tasks(
                        flt.text, flt.statuses, flt.readiness, flt.assignee, sort, descending, limit
                    )
                    assert got == expected, (sort, descending, limit)
    finally:
        reads.close()


AGENT_CHOICES = [None, *((a.value,) for a in AgentType), (AgentType.CODING.value, "testing")]


@pytest.mark.parametrize("agent_types", AGENT_CHOICES, ids=str)
def test_the_agent_type_rule_is_one_rule_in_python_and_both_sqls(
    db: tuple[str, Orchestrator, list[str]], agent_types: tuple[str, ...] | None
) -> None:
    url, orch, keys = db
    details = [orch.queries.get_task(k) for k in keys]
    in_python = {
        d.key for d in details if rules.serves(d.agent_type and d.agent_type.value, agent_types)
    }
    with orch.ctx.db.read() as conn:
        in_sqlalchemy = set(
            conn.execute(select(T.key).where(sql_rules.serves(agent_types))).scalars()
        )
    assert in_sqlalchemy == in_python
    assert any(d.agent_type is None for d in details) and any(d.agent_type for d in details)
    if agent_types is None:
        assert in_python == set(keys)
        return
    reads = open_reads(url)
    assert reads is not None
    try:
        found = reads.conn.execute(
            f"SELECT t.key FROM tasks AS t WHERE {serves_sql(len(agent_types))}", agent_types
        )
        assert {k for (k,) in found} == in_python
    finally:
        reads.close()


def test_the_status_sort_is_the_status_rank(db: tuple[str, Orchestrator, list[str]]) -> None:
    _, orch, _ = db
    rows = orch.queries.list_tasks(sort="status")
    ranks = rules.status_ranks()
    assert [r.key for r in rows] == [
        r.key for r in sorted(rows, key=lambda r: (ranks[r.status.value], r.id))
    ]
    assert len({r.status for r in rows}) > 3


def test_the_last_run_line_matches_the_services_while_a_run_stops_and_after(
    tmp_path: Path,
) -> None:
    """`task show`'s last run: stopping with who asked, then closed, on both paths."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    orch = open_orchestrator(url, "alice")
    keys = ["STOP", "CLOSED", "LOST", "RUN", "NONE"]
    for key in keys:
        orch.tasks.create(TaskSpec(key=key, title=key, command=CommandSpec(argv=["true"])))
    claims = {c.key: c for c in orch.runs.claim("r1", 30, key=None, limit=4)}
    assert sorted(claims) == ["CLOSED", "LOST", "RUN", "STOP"]
    orch.runs.cancel("STOP", "wrong branch")
    orch.runs.cancel("CLOSED")
    orch.runs.close_cancelled(claims["CLOSED"].run_id)
    orch.runs.cancel("LOST")
    orch.runs.close_abandoned([claims["LOST"].task_id])
    reads = open_reads(url)
    assert reads is not None
    assert [reads.last_run_state(k) for k in keys] == [orch.queries.last_run_state(k) for k in keys]
    stopping = f"#{claims['STOP'].run_id} stopping (run cancelled by alice: wrong branch)"
    assert reads.last_run_state("STOP") == stopping
    assert (
        reads.last_run_state("CLOSED")
        == f"#{claims['CLOSED'].run_id} cancelled: run cancelled by alice"
    )
    assert reads.last_run_state("RUN") == f"#{claims['RUN'].run_id} running"
    assert reads.last_run_state("NONE") is None
    reads.close()
    orch.close()


def test_every_sort_and_the_schema_are_the_ones_the_services_know() -> None:
    assert list(SORT_SQL) == list(SORTS)
    # The statements were written for this schema: check them when it moves.
    assert READS_SCHEMA == SCHEMA_VERSION


def test_gives_up_on_what_it_was_not_written_for(
    db: tuple[str, Orchestrator, list[str]], tmp_path: Path
) -> None:
    url, _, _ = db
    reads = open_reads(url)
    assert reads is not None
    with pytest.raises(GiveUp):
        reads.get_task("NOPE-1")  # the services name the nearest keys
    with pytest.raises(GiveUp):
        reads.list_tasks(sort="nonsense")
    reads.close()

    missing = tmp_path / "missing.db"
    assert open_reads(str(missing)) is None
    assert not missing.exists()
    assert open_reads("postgresql+psycopg://u@host/db") is None
    (tmp_path / "junk.db").write_bytes(b"not a database" * 50)
    assert open_reads(str(tmp_path / "junk.db")) is None

    other = tmp_path / "other.db"
    open_orchestrator(str(other), "alice").close()
    with sqlite3.connect(other) as conn:
        conn.execute(
            "UPDATE schema_meta SET value = ? WHERE key = 'schema_version'",
            (str(READS_SCHEMA + 1),),
        )
    conn.close()
    assert open_reads(str(other)) is None  # newer: the services refuse it, with reasons


def _same_fields(plain: object, view: object) -> None:
    """A plain row holds every field of the pydantic view, in its order, with the
    same values."""
    if is_dataclass(plain):  # a list row: the plain `ListRow`
        fields = {f.name: getattr(plain, f.name) for f in dataclass_fields(plain)}
    else:
        fields = vars(plain)
    assert list(fields) == list(type(view).model_fields)  # type: ignore[attr-defined]
    for name, value in fields.items():
        expected = getattr(view, name)
        if name in ("blockers", "dependents"):
            assert [vars(v) for v in value] == [dict(e) for e in expected], name
        elif name == "command":
            assert (value and value.argv) == (expected and expected.argv), name
        else:
            assert value == expected and type(value) is type(expected), name


def _json(value: object) -> str:
    return json.dumps(to_jsonable(value), indent=2)


def test_plain_reads_hold_the_views_fields(db: tuple[str, Orchestrator, list[str]]) -> None:
    """What `task next/show/list` print from without pydantic is what the views hold."""
    url, orch, keys = db
    reads = open_reads(url, plain=True)
    assert reads is not None
    q = orch.queries
    try:
        for key in keys:
            _same_fields(reads.get_task(key), q.get_task(key))
            for plain, view in zip(reads.timeline(key), q.timeline(key), strict=True):
                _same_fields(plain, view)
        for agent in [None, *[a.value for a in AgentType]]:
            plain, view = reads.next_ready(agent), q.next_ready(agent)
            assert (plain is None) == (view is None)
            if view is not None:
                _same_fields(plain, view)
                assert _json(plain) == _json(view)
        rows = q.list_tasks(sort="key")
        for plain, view in zip(reads.list_tasks(sort="key"), rows, strict=True):
            _same_fields(plain, view)
        # `task list --json` and `task next --json` print plain rows: the same bytes.
        assert _json(reads.list_tasks(sort="key")) == _json(rows)
    finally:
        reads.close()
    assert any(q.get_task(k).blockers for k in keys) and any(q.get_task(k).command for k in keys)


def test_plain_reads_leave_a_command_the_model_would_change_to_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    orch = open_orchestrator(url, "alice")
    orch.tasks.create(TaskSpec(key="C-1", title="c", command=CommandSpec(argv=["echo", "x"])))
    orch.close()
    reads = open_reads(url, plain=True)
    assert reads is not None
    try:
        assert reads.get_task("C-1").command.argv == ["echo", "x"]
        for stored in ('{"argv": [" echo", "x"]}', '{"argv": []}', '{"argv": "echo"}'):
            reads.conn.close()
            with sqlite3.connect(tmp_path / "c.db") as conn:
                conn.execute("UPDATE tasks SET command = ? WHERE key = 'C-1'", (stored,))
            conn.close()
            reopened = open_reads(url, plain=True)
            assert reopened is not None
            reads = reopened
            with pytest.raises(GiveUp):
                reads.get_task("C-1")  # the services' model decides (strips, or refuses)
    finally:
        reads.close()


def test_next_ready_reads_unknown_priority_words_as_a_claim_does(tmp_path: Path) -> None:
    """`task next` reads one priority word at a time, as a claim does: a word the
    rules do not know (written by hand) still ranks as medium, oldest first. (The
    row views hold known words only, so the keys are compared.)"""
    url = f"sqlite:///{tmp_path / 'words.db'}"
    orch = open_orchestrator(url, "alice")
    try:
        for key, priority in [("A", "low"), ("B", "critical"), ("C", "medium"), ("F", "medium")]:
            orch.tasks.create(TaskSpec(key=key, title=key, priority=priority))
        orch.tasks.create(TaskSpec(key="D", title="D", priority="medium"))
        orch.tasks.create(TaskSpec(key="E", title="E", priority="high"))
        with orch.db.write() as conn:  # one word before, one after, one between known ones
            for key, word in (("A", "aaa"), ("F", "urgent?"), ("D", "elevated")):
                conn.execute(Task.__table__.update().where(T.key == key).values(priority=word))
        order = []
        types = rules.MACHINE_TYPES
        read_next = f"SELECT key FROM tasks WHERE id = ({next_task_sql(len(types))})"
        while (key := orch.runs.next_for_agent()) is not None:
            now = datetime.now(UTC).strftime(SQLITE_DATETIME)
            with sqlite3.connect(tmp_path / "words.db") as conn:
                [(quick,)] = conn.execute(read_next, (now, *types) * NEXT_TASK_ARMS).fetchall()
            assert quick == key
            order.append(key)
            assert orch.runs.claim_for_agent("ada") == key
        assert order == ["B", "E", "A", "C", "F", "D"]
    finally:
        orch.close()
