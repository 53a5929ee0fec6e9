"""The reads agents make in a loop (`task next`, `task show`, `task list`) straight
from a SQLite file with the standard library: no SQLAlchemy, no tables module, so
a command is answered in the time it takes to start Python and import pydantic.

Same answers as `services/queries.py` (a test compares them over a varied
database); the rules are rendered from `domain/rules.py` as SQLite text here,
as `services/rules.py` renders them for SQLAlchemy. The TUI's first page
(`quick.py`) is `list_tasks` from here too.
Only a SQLite file at exactly the schema these statements were written for is
read here; anything else (a missing file, another version, another backend, an
unknown key, any SQLite error) gives up, and the real services decide.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..domain import rules
from ..domain.enums import DependencyType, Readiness, TaskStatus
from ..domain.models import (
    ApprovalView,
    DependencyView,
    EventView,
    NoteView,
    ProgressView,
    TaskDetail,
    TaskRow,
)
from .row_views import event_view, task_detail_of, task_row
from .sqlite_functions import install_sqlite_functions

#: The schema version these statements were written for. A test keeps it equal to
#: `schema.SCHEMA_VERSION`: when the schema moves, check the SQL below, then this.
READS_SCHEMA = 5

#: How long a read waits for a writer's lock (WAL readers rarely wait at all).
_TIMEOUT_SECONDS = 5.0


class GiveUp(Exception):
    """Not answerable here: the caller asks the real services instead."""


def sqlite_file(db_url: str) -> Path | None:
    """The file behind a plain path or a `sqlite:///` URL; None for anything else."""
    if "://" not in db_url:
        path = db_url
    elif db_url.startswith("sqlite:///"):
        path = db_url[len("sqlite:///") :].split("?", 1)[0]
    else:
        return None
    if not path or path == ":memory:":
        return None
    file = Path(path).expanduser()
    return file if file.is_file() else None


def connect_read_only(file: Path, timeout: float) -> sqlite3.Connection:
    """A read-only connection to an existing file (never creates one)."""
    return sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def _open_blockers(task: str, what: str = "1") -> str:
    """The open blocking dependencies of `task` (an alias of `tasks`), as SQL text."""
    return (
        f"SELECT {what} FROM task_dependencies AS d JOIN tasks AS b ON b.id = d.depends_on_id "
        f"WHERE d.task_id = {task}.id AND d.dep_type IN {rules.sql_in(rules.GATING)} "
        f"AND b.status NOT IN {rules.sql_in(rules.FINISHED)}"
    )


def _case(column: str, ranks: dict[str, int], default: int) -> str:
    whens = " ".join(f"WHEN '{word}' THEN {rank}" for word, rank in ranks.items())
    return f"(CASE {column} {whens} ELSE {default} END)"


#: `services.rules.PRIORITY_RANK` and `services.rules.STATUS_RANK`.
PRIORITY_RANK = _case("t.priority", rules.priority_ranks(), rules.DEFAULT_PRIORITY_RANK)
STATUS_RANK = _case("t.status", rules.status_ranks(), rules.DEFAULT_STATUS_RANK)


def serves_sql(types: int) -> str:
    """`rules.serves` (and `services.rules.serves`) as SQL text over `tasks AS t`,
    for `types` bound agent types."""
    return f"(t.agent_type IS NULL OR t.agent_type IN ({', '.join('?' for _ in range(types))}))"


#: `services.queries.SORTS` (a test checks both name the same sorts).
SORT_SQL: dict[str, str] = {
    "id": "t.id",
    "key": "natural_key(t.key)",
    "title": "lower(t.title)",
    "status": STATUS_RANK,
    "priority": PRIORITY_RANK,
    "assignee": "t.assignee",
    "progress": "t.progress",
    "phase": "t.phase",
    "updated": "t.updated_at",
}

#: `services.views.row_select()`.
ROW_SQL = f"""
SELECT t.id, t.key, t.title, t.status, t.priority, t.assignee, t.progress, t.phase,
       t.estimated_hours, t.requires_approval, t.updated_at,
       ({_open_blockers("t", "count(*)")}) AS unfinished,
       (t.command IS NOT NULL AND t.command != '{rules.NO_COMMAND_JSON}') AS has_command,
       t.lease_owner IS NOT NULL AS leased,
       (SELECT count(*) FROM questions AS q
         WHERE q.task_id = t.id AND q.answered_at IS NULL) AS asking
FROM tasks AS t"""


def readiness_sql(r: Readiness) -> str:
    """`services.rules.readiness_clause(r)` as SQL text over `tasks AS t`."""
    statuses, blocked = rules.readiness_statuses(r)
    clause = f"t.status IN {rules.sql_in(statuses)}" if statuses else "0"
    if blocked is True:
        return f"({clause} AND EXISTS ({_open_blockers('t')}))"
    if blocked is False:
        return f"({clause} AND NOT EXISTS ({_open_blockers('t')}))"
    return f"({clause})"


def _stored(value: Any, kind: str) -> Any:
    """A stored value as SQLAlchemy gives it back for the column's declared type."""
    if value is None:
        return None
    if kind == "DATETIME":
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if kind == "JSON":
        return json.loads(value)
    if kind == "BOOLEAN":
        return bool(value)
    return value


class QuickReads:
    """Read-only queries over one SQLite connection, answering as `QueryService`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._types: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        self.conn.close()

    # -- plumbing -------------------------------------------------------------

    def _column_types(self, table: str) -> dict[str, str]:
        if table not in self._types:
            info = self.conn.execute("SELECT name, type FROM pragma_table_info(?)", (table,))
            self._types[table] = {name: kind.upper() for name, kind in info}
        return self._types[table]

    def _rows(self, sql: str, params: Iterable[Any] = (), table: str = "tasks") -> list[Any]:
        """Rows as objects with the columns as attributes, each value converted as
        the column of `table` with that name is declared."""
        types = self._column_types(table)
        cur = self.conn.execute(sql, tuple(params))
        names = [d[0] for d in cur.description]
        kinds = [types.get(n, "") for n in names]
        return [
            SimpleNamespace(**{n: _stored(v, k) for n, k, v in zip(names, kinds, row, strict=True)})
            for row in cur
        ]

    def _task(self, key: str) -> Any:
        rows = self._rows("SELECT * FROM tasks WHERE key = ?", (key,))
        if not rows:
            raise GiveUp(key)  # the services say so, with the nearest keys
        return rows[0]

    def _links(self, task_id: int, upstream: bool) -> list[DependencyView]:
        mine, theirs = ("task_id", "depends_on_id") if upstream else ("depends_on_id", "task_id")
        rows = self.conn.execute(
            "SELECT o.key, o.title, o.status, d.dep_type FROM task_dependencies AS d "
            f"JOIN tasks AS o ON o.id = d.{theirs} WHERE d.{mine} = ? ORDER BY o.id",
            (task_id,),
        )
        return [
            DependencyView(key=k, title=t, status=TaskStatus(s), type=DependencyType(d))
            for k, t, s, d in rows
        ]

    def _of_task(self, table: str, key: str, order: str = "id") -> list[dict[str, Any]]:
        task_id = self._task(key).id
        rows = self._rows(
            f"SELECT * FROM {table} WHERE task_id = ? ORDER BY {order}, id", (task_id,), table
        )
        return [vars(r) for r in rows]

    # -- the queries ----------------------------------------------------------

    def get_task(self, key: str) -> TaskDetail:
        r = self._task(key)
        parent = None
        if r.parent_id is not None:
            found = self.conn.execute("SELECT key FROM tasks WHERE id = ?", (r.parent_id,))
            parent = next((k for (k,) in found), None)
        up, down = self._links(r.id, upstream=True), self._links(r.id, upstream=False)
        return task_detail_of(r, parent, up, down)

    def timeline(self, key: str, limit: int = 500) -> list[EventView]:
        task_id = self._task(key).id
        rows = self._rows(
            "SELECT * FROM events WHERE task_id = ? ORDER BY id LIMIT ?", (task_id, limit), "events"
        )
        return [event_view(r, key) for r in rows]

    def approvals_for(self, key: str) -> list[ApprovalView]:
        return [
            ApprovalView.model_validate({**r, "task_key": key})
            for r in self._of_task("approvals", key)
        ]

    def progress_for(self, key: str) -> list[ProgressView]:
        return [ProgressView.model_validate(r) for r in self._of_task("progress", key)]

    def notes_for(self, key: str) -> list[NoteView]:
        return [NoteView.model_validate(r) for r in self._of_task("notes", key, "author")]

    def context_for(self, key: str) -> str:
        task_id = self._task(key).id
        found = self.conn.execute(
            "SELECT yaml_text FROM task_context WHERE task_id = ?", (task_id,)
        )
        return next((text for (text,) in found), None) or ""

    def count_tasks(self) -> int:
        """`QueryService.count_tasks()` with no filter."""
        return int(self.conn.execute("SELECT count(*) FROM tasks").fetchone()[0])

    def next_ready(self, agent_type: str | None = None) -> TaskRow | None:
        """`QueryService.next_ready`: highest priority, fewest dependencies, oldest."""
        where, params = [readiness_sql(Readiness.READY)], []
        if agent_type:
            where.append(serves_sql(1))
            params.append(agent_type)
        deps = "(SELECT count(*) FROM task_dependencies AS n WHERE n.task_id = t.id)"
        rows = self._rows(
            f"{ROW_SQL} WHERE {' AND '.join(where)} "
            f"ORDER BY {PRIORITY_RANK} DESC, {deps}, t.id LIMIT 1",
            params,
        )
        return task_row(rows[0]) if rows else None

    def list_tasks(
        self,
        text: str = "",
        statuses: Iterable[TaskStatus] = (),
        readiness: Iterable[Readiness] = (),
        assignee: str | None = None,
        sort: str = "id",
        descending: bool = False,
        limit: int | None = None,
    ) -> list[TaskRow]:
        """`QueryService.list_tasks` with the `TaskFilter` of these fields."""
        order = SORT_SQL.get(sort)
        if order is None:
            raise GiveUp(sort)
        where: list[str] = []
        params: list[Any] = []
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            like = "LIKE lower(?) ESCAPE '\\'"
            where.append(f"(lower(t.key) {like} OR lower(t.title) {like})")
            params += [f"%{escaped}%"] * 2
        wanted = sorted(s.value for s in statuses)
        if wanted:
            where.append(f"t.status IN ({', '.join('?' for _ in wanted)})")
            params += wanted
        if assignee:
            where.append("t.assignee = ?")
            params.append(assignee)
        ready = list(readiness)
        if ready:
            where.append("(" + " OR ".join(readiness_sql(r) for r in ready) + ")")
        sql = ROW_SQL + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += f" ORDER BY {order}{' DESC' if descending else ''}, t.id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [task_row(r) for r in self._rows(sql, params)]


def open_reads(db_url: str) -> QuickReads | None:
    """Quick reads over the SQLite file `db_url` names, when it is one at
    `READS_SCHEMA`; None otherwise (never creates or changes a file)."""
    file = sqlite_file(db_url)
    if file is None:
        return None
    try:
        conn = connect_read_only(file, _TIMEOUT_SECONDS)
    except (sqlite3.Error, ValueError):
        return None
    try:
        found = conn.execute("SELECT value FROM schema_meta WHERE key = 'schema_version'")
        version = next((v for (v,) in found), None)
        if str(version).strip() != str(READS_SCHEMA):
            conn.close()
            return None
        install_sqlite_functions(conn)
    except sqlite3.Error:
        conn.close()
        return None
    return QuickReads(conn)
