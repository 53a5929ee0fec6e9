"""The rules of `domain/rules.py` rendered as SQLAlchemy expressions, so queries
and Python checks cannot drift apart."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)

from ..domain import rules
from ..domain.enums import Readiness
from ..store.tables import PlanBudget, Question, Run, Task, TaskDependency

T = Task.__table__.c
D = TaskDependency.__table__.c
PB = PlanBudget.__table__.c
RUNS = Run.__table__.c

QUESTIONS = Question.__table__.c

# Built once: constructing an alias copies every column of the table.
_BLOCKER = Task.__table__.alias("blocker")

#: Priority rank as SQL (higher is more urgent).
PRIORITY_RANK = case(rules.priority_ranks(), value=T.priority, else_=rules.DEFAULT_PRIORITY_RANK)


#: The terms `rules.NEXT_ORDER` names, as SQL.
_ORDER_TERMS: dict[str, Any] = {"priority_rank": PRIORITY_RANK, "id": T.id}

#: `rules.NEXT_ORDER` as SQL: which claimable task comes next.
NEXT_ORDER: tuple[Any, ...] = tuple(
    _ORDER_TERMS[term[1:]].desc() if term.startswith("-") else _ORDER_TERMS[term]
    for term in rules.NEXT_ORDER
)


def comes_next(columns: Sequence[Any], where: Any, limit: Any) -> Any:
    """The first `limit` rows of `where` in the order tasks come next (`NEXT_ORDER`)."""
    return select(*columns).where(where).order_by(*NEXT_ORDER).limit(limit)


def first_by_priority(columns: Sequence[Any], where: Any, limit: Any) -> Any:
    """`comes_next(columns, where, limit)` (highest priority, then oldest),
    the same rows in the same order, read one priority word at a time: each word's
    rows come in id order from the (status, priority) index and stop at `limit`,
    so the filter runs on a few rows instead of on every row of the status before
    a sort. Words the rules do not know take the default rank, as in the `CASE`."""
    ranks = rules.priority_ranks()
    words: list[tuple[Any, int]] = [(T.priority == word, rank) for word, rank in ranks.items()]
    # Unknown words lie in the gaps between the known ones in the index's order:
    # each gap is a range the index seeks to (and is usually empty), where a
    # `NOT IN` would read every row of the status.
    known = sorted(ranks)
    gaps = [T.priority < known[0], T.priority > known[-1]]
    gaps += [and_(T.priority > a, T.priority < b) for a, b in itertools.pairwise(known)]
    words += [(gap, rules.DEFAULT_PRIORITY_RANK) for gap in gaps]
    arms = [
        select(*columns, literal(rank).label("rank"))
        .where(word, where)
        .order_by(T.id)
        .limit(limit)
        .subquery()
        for word, rank in words
    ]
    merged = union_all(*(select(arm) for arm in arms)).subquery()
    names = [c.key for c in columns]
    return (
        select(*(merged.c[name] for name in names))
        .order_by(merged.c.rank.desc(), merged.c.id)
        .limit(limit)
    )


#: Status rank as SQL (workflow order).
STATUS_RANK = case(rules.status_ranks(), value=T.status, else_=rules.DEFAULT_STATUS_RANK)


def one_of(column: Any, values: Sequence[str]) -> Any:
    """`column IN (...)` of values fixed in the code: one parameter each, so the
    statement is rendered once (a list of plain values is an expanding parameter,
    re-rendered into the SQL text at every execution)."""
    return column.in_([literal(v) for v in values])


def _open_blockers_of(task_id: Any) -> Any:
    return (
        select(1)
        .select_from(TaskDependency.__table__.join(_BLOCKER, _BLOCKER.c.id == D.depends_on_id))
        .where(
            D.task_id == task_id,
            one_of(D.dep_type, [t.value for t in rules.GATING]),
            ~one_of(_BLOCKER.c.status, [s.value for s in rules.FINISHED]),
        )
    )


def open_blockers_count(task_id: Any) -> Any:
    """A correlated scalar subquery: how many blocking dependencies are open."""
    return _open_blockers_of(task_id).with_only_columns(func.count()).scalar_subquery()


def all_blockers_done(task_id: Any) -> Any:
    """No blocking dependency of the task is open (stops at the first that is)."""
    return not_(exists(_open_blockers_of(task_id)))


def open_blocker_keys_select(task_id: int) -> Any:
    return _open_blockers_of(task_id).with_only_columns(_BLOCKER.c.key).order_by(_BLOCKER.c.id)


def readiness_clause(r: Readiness, tasks: Any = None) -> Any:
    """Tasks with readiness `r` (of the tasks table, or of an alias of it)."""
    c = T if tasks is None else tasks.c
    statuses, blocked = rules.readiness_statuses(r)
    clause = one_of(c.status, [s.value for s in statuses])
    if blocked is True:
        return and_(clause, not_(all_blockers_done(c.id)))
    if blocked is False:
        return and_(clause, all_blockers_done(c.id))
    return clause


def has_command() -> Any:
    # No command is SQL NULL; databases written before may hold the JSON text 'null'.
    return and_(T.command.is_not(None), cast(T.command, String) != rules.NO_COMMAND_JSON)


def serves(agent_types: Sequence[str] | BindParameter[Any] | None) -> Any:
    """`rules.serves`: untyped tasks, or those of a type in `agent_types` (a list or
    an expanding bind parameter); everything when None."""
    if agent_types is None:
        return true()
    if isinstance(agent_types, BindParameter):
        return or_(T.agent_type.is_(None), T.agent_type.in_(agent_types))
    return or_(T.agent_type.is_(None), one_of(T.agent_type, list(agent_types)))


def retry_due(now: Any) -> Any:
    return or_(T.retry_after.is_(None), T.retry_after <= now)


def within_plan_budget() -> Any:
    """The task's plan (if it has a budget) has not spent it."""
    spent = select(1).where(PB.plan == T.plan, PB.exhausted.is_not(None))
    return or_(T.plan.is_(None), not_(exists(spent)))


def held_by_runner() -> Any:
    """A runner holds the task: it is in progress under a lease."""
    return and_(T.status == rules.RUNNING.value, T.lease_owner.is_not(None))


def lease_expired(now: Any) -> Any:
    """A runner holds the task and its lease ran out before `now`: the task is
    reclaimed, and what is left of its run stopped."""
    return and_(held_by_runner(), T.lease_expires_at < now)


def held_by(owner: Any) -> Any:
    """The runner `owner` (a name or a bound parameter) holds the task
    (`rules.held_by`)."""
    return and_(T.status == rules.RUNNING.value, T.lease_owner == owner)


def run_open(runs: Any = RUNS) -> Any:
    """`rules.run_open` of a row of the runs table (or an alias's columns): its
    status is one of `rules.RUN_OPEN`."""
    return one_of(runs.status, sorted(s.value for s in rules.RUN_OPEN))


def no_attempt_running(task_id: Any) -> Any:
    """No run of the task is open: no earlier attempt is still being stopped. A
    runner closes a run once its processes are gone, however the task was moved
    meanwhile; the runs of a runner that died are closed by the runner that
    stops what is left of them."""
    running = select(1).where(RUNS.task_id == task_id, run_open())
    return not_(exists(running))


def run_stopping() -> Any:
    """`rules.run_stopping` of a row of the runs table: it is open, and someone
    asked for it to be stopped."""
    return and_(run_open(), RUNS.cancel_requested.is_not(None))


def claimable(
    now: datetime | Any,
    agent_types: Sequence[str] | BindParameter[Any] | None,
    need_command: bool = True,
) -> Any:
    """Ready tasks with a command (or any ready task, for an agent that does the
    work itself), past any retry delay, of a type this runner serves, whose plan's
    budget (if it has one) is not spent, with no earlier attempt still running."""
    return and_(
        one_of(T.status, [s.value for s in rules.CLAIMED_BY_RUNNERS]),
        has_command() if need_command else true(),
        within_plan_budget(),
        retry_due(now),
        serves(agent_types),
        all_blockers_done(T.id),
        no_attempt_running(T.id),
    )


def question_open(q: Any = QUESTIONS) -> Any:
    """`rules.question_open` over the questions table (or an alias's columns): none
    of the columns that settle a question is set."""
    return and_(*(q[name].is_(None) for name in rules.QUESTION_SETTLED_COLUMNS))
