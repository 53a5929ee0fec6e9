"""The SQL text of the quick reads (`quick_reads`) and the TUI's first page
(`quick`): the rules of `domain/rules.py` rendered as SQLite text, as
`services/rules.py` renders them for SQLAlchemy. Standard library and the
domain's rules only (no pydantic models), so the first page can be read on a
thread while the app is still importing.
"""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

from ..domain import rules
from ..domain.enums import Readiness


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


#: How SQLAlchemy writes a datetime into SQLite (UTC, as `UTCDateTime` stores it):
#: text compared as text, so a bound time must be written the same way.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def claimable_sql(types: int) -> str:
    """`services.rules.claimable(now, types, need_command=False)` as SQL text over
    `tasks AS t`, bound to the time (`SQLITE_DATETIME`) and then `types` agent types:
    pending with no open blocker, past any retry delay, of a type served, its plan's
    budget (if any) not spent, no earlier run of it still open."""
    spent = "SELECT 1 FROM plan_budgets AS pb WHERE pb.plan = t.plan AND pb.exhausted IS NOT NULL"
    running = (
        "SELECT 1 FROM runs AS r WHERE r.task_id = t.id "
        f"AND r.status IN {rules.sql_in(rules.RUN_OPEN)}"
    )
    return " AND ".join(
        (
            f"t.status IN {rules.sql_in(rules.CLAIMED_BY_RUNNERS)}",
            f"(t.plan IS NULL OR NOT EXISTS ({spent}))",
            "(t.retry_after IS NULL OR t.retry_after <= ?)",
            serves_sql(types),
            f"NOT EXISTS ({_open_blockers('t')})",
            f"NOT EXISTS ({running})",
        )
    )


def _priority_arms() -> list[tuple[str, int]]:
    """Each priority word as a condition over `tasks AS t`, with its rank; then the
    ranges between (and around) them, where words the rules do not know lie, with
    the default rank: `services.rules.first_by_priority`'s arms."""
    ranks = rules.priority_ranks()
    known = sorted(ranks)
    arms = [(f"t.priority = '{word}'", rank) for word, rank in ranks.items()]
    gaps = [f"t.priority < '{known[0]}'", f"t.priority > '{known[-1]}'"]
    gaps += [f"t.priority > '{a}' AND t.priority < '{b}'" for a, b in itertools.pairwise(known)]
    return arms + [(gap, rules.DEFAULT_PRIORITY_RANK) for gap in gaps]


#: How many times `next_task_sql` takes its parameters, one set after the other.
NEXT_TASK_ARMS = len(_priority_arms())


def next_task_sql(types: int) -> str:
    """The id of the claimable task (`claimable_sql`) that comes next
    (`rules.NEXT_ORDER`: highest priority, then oldest), read as
    `services.rules.first_by_priority` reads it: the oldest of each priority word,
    straight from the (status, priority) index, so the rule's checks run on a few
    rows instead of every pending one. Bound to `claimable_sql`'s parameters
    `NEXT_TASK_ARMS` times over."""
    arms = " UNION ALL ".join(
        f"SELECT * FROM (SELECT t.id AS id, {rank} AS rank FROM tasks AS t "
        f"WHERE {word} AND {claimable_sql(types)} ORDER BY t.id LIMIT 1)"
        for word, rank in _priority_arms()
    )
    return f"SELECT id FROM ({arms}) ORDER BY rank DESC, id LIMIT 1"


#: `services.queries.SORTS` (a test checks both name the same sorts).
SORT_SQL: dict[str, str] = {
    "id": "t.id",
    "key": "t.key_order",  # natural order, kept with the row under an index
    "title": "lower(t.title)",
    "status": STATUS_RANK,
    "priority": PRIORITY_RANK,
    "assignee": "t.assignee",
    "progress": "t.progress",
    "phase": "t.phase",
    "updated": "t.updated_at",
}

#: `services.rules.question_open()` over `questions AS q`.
_QUESTION_OPEN = " AND ".join(f"q.{name} IS NULL" for name in rules.QUESTION_SETTLED_COLUMNS)

#: `services.views.row_select()`.
ROW_SQL = f"""
SELECT t.id, t.key, t.title, t.status, t.priority, t.assignee, t.progress, t.phase,
       t.estimated_hours, t.requires_approval, t.updated_at,
       ({_open_blockers("t", "count(*)")}) AS unfinished,
       (t.command IS NOT NULL AND t.command != '{rules.NO_COMMAND_JSON}') AS has_command,
       t.lease_owner IS NOT NULL AS leased,
       (SELECT count(*) FROM questions AS q
         WHERE q.task_id = t.id AND {_QUESTION_OPEN}) AS asking
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
