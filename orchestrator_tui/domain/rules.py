"""The rules that both Python code and SQL queries apply, each defined once as
data. `services/rules.py` renders them as SQLAlchemy expressions and
`store/quick.py` as SQLite text; the functions here apply them to plain values.

- A blocking dependency is open while its blocker is not finished.
- Readiness is a function of the status, and for pending tasks of whether any
  blocking dependency is open.
- Priority has a rank (higher is more urgent); status has a rank (workflow order).
- An agent takes untyped tasks and tasks of a type it serves.
- A runner claims a task by itself when it is pending, has a command, is past
  any retry delay and has no open blocker; a person may also run a failed task
  on demand; a running run is what `cancel run` stops.
- The next task (`task next`, MCP `next_task`, every claim) is the claimable one
  of highest priority rank, then the oldest (`NEXT_ORDER`).
- A run is open (queued or running: its processes may run) until it finishes; it
  is stopping while it is open and someone asked for it to be stopped.
- A question is open until it is answered or closed with its task's work.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

from .enums import (
    AgentType,
    Complexity,
    ComponentArea,
    DependencyType,
    Priority,
    Readiness,
    RunStatus,
    TaskStatus,
)
from .event_text import words
from .state_machine import WORK_FINISHED
from .text import printable
from .words import counted

S = TaskStatus

#: A blocker in one of these statuses satisfies the tasks it blocks.
FINISHED: frozenset[TaskStatus] = frozenset(s for s in S if s.is_finished)
#: Dependency types that gate the dependent task.
GATING: frozenset[DependencyType] = frozenset(t for t in DependencyType if t.gates)

#: Readiness of each status; `None` where it depends on open blockers.
READINESS_OF: dict[TaskStatus, Readiness | None] = {
    S.PENDING: None,
    S.IN_PROGRESS: Readiness.ACTIVE,
    S.AWAITING_APPROVAL: Readiness.ACTIVE,
    S.BLOCKED: Readiness.STOPPED,
    S.DEFERRED: Readiness.STOPPED,
    S.FAILED: Readiness.STOPPED,
    S.DONE: Readiness.CLOSED,
    S.CANCELLED: Readiness.CLOSED,
}

#: Statuses whose work is over for good (readiness `closed`): the critical path of
#: open work leaves them out.
CLOSED: frozenset[TaskStatus] = frozenset(
    s for s, r in READINESS_OF.items() if r is Readiness.CLOSED
)

#: Statuses a runner claims by itself, and those a person may run on demand.
CLAIMED_BY_RUNNERS: frozenset[TaskStatus] = frozenset({S.PENDING})
#: A task's worktree is removed (unless its plan says keep) once it is in one of these.
WORKTREE_REMOVABLE: frozenset[TaskStatus] = CLOSED
RUN_ON_DEMAND: frozenset[TaskStatus] = frozenset({S.PENDING, S.FAILED})
#: A task in this status, held by a runner's lease, has a live run to cancel.
RUNNING: TaskStatus = S.IN_PROGRESS
#: A run is open in these statuses (its processes may run, its end is not written):
#: it is stopping while open and asked to stop, and no runner claims its task again
#: until it is closed. Python (`run_open`) and SQL (`services.rules.run_open`) alike.
RUN_OPEN: frozenset[RunStatus] = frozenset(s for s in RunStatus if not s.is_finished)

#: A run that ended with its agent's questions open leaves its task in this status,
#: waiting for their answers; the last answer moves it back to pending.
WAITING_FOR_ANSWERS: TaskStatus = S.BLOCKED

#: Feedback rates finished work: a task in one of these statuses.
RATABLE: frozenset[TaskStatus] = FINISHED

#: Approve, reject and request changes apply to tasks in these statuses.
DECIDABLE: frozenset[TaskStatus] = frozenset({S.AWAITING_APPROVAL})

#: How an absent command was stored before it was SQL NULL: JSON null written as
#: text. Readers take both as no command (no migration rewrites old rows).
NO_COMMAND_JSON = "null"

#: What a word this version does not know, found in a task's descriptive column
#: (edited into the database by hand or by another program), is taken for: a task
#: is still shown, sorted and claimed, as if it said this (`db validate` names each
#: such word). An unknown agent type is served as `human` is: by no runner unless it
#: serves every type. An unknown status has no such reading: `db validate` names it.
UNKNOWN_WORD_READS_AS: Mapping[type[StrEnum], StrEnum] = {
    Priority: Priority.MEDIUM,
    Complexity: Complexity.MEDIUM,
    ComponentArea: ComponentArea.GENERAL,
    AgentType: AgentType.HUMAN,
}

#: Priority rank of an unknown priority word in the database.
DEFAULT_PRIORITY_RANK = Priority(UNKNOWN_WORD_READS_AS[Priority]).rank

_E = TypeVar("_E", bound=StrEnum)


def stored_word(kind: type[_E], word: str) -> _E:
    """A stored word of `kind`, or what an unknown one is taken for
    (`UNKNOWN_WORD_READS_AS`)."""
    try:
        return kind(word)
    except ValueError:
        return kind(UNKNOWN_WORD_READS_AS[kind])


def blocker_open(dep_type: DependencyType, blocker_status: TaskStatus) -> bool:
    return dep_type in GATING and blocker_status not in FINISHED


def open_blocker_count(links: Iterable[Any]) -> int:
    """How many of a task's upstream links (each with `type` and `status`) are open."""
    return sum(1 for link in links if blocker_open(link.type, link.status))


def readiness(status: TaskStatus, open_blockers: int) -> Readiness:
    """Readiness from a status and its count of open blocking dependencies."""
    fixed = READINESS_OF[status]
    if fixed is not None:
        return fixed
    return Readiness.READY if open_blockers == 0 else Readiness.WAITING


def readiness_statuses(r: Readiness) -> tuple[frozenset[TaskStatus], bool | None]:
    """The statuses with readiness `r`, and whether it also needs open blockers
    (True), none (False), or does not depend on them (None)."""
    fixed = frozenset(s for s, v in READINESS_OF.items() if v is r)
    if r is Readiness.READY:
        return frozenset(s for s, v in READINESS_OF.items() if v is None), False
    if r is Readiness.WAITING:
        return frozenset(s for s, v in READINESS_OF.items() if v is None), True
    return fixed, None


def can_run_now(status: TaskStatus, has_command: bool, open_blockers: int) -> bool:
    """Whether a person may run the task's command now (the run key, `task run`)."""
    return has_command and status in RUN_ON_DEMAND and open_blockers == 0


def has_live_run(status: TaskStatus, leased: bool) -> bool:
    """Whether the task's command is being run now (a runner holds it); a task a
    person put in progress (`start`) has no run, command or not."""
    return status is RUNNING and leased


def held_by(status: TaskStatus, lease_owner: str | None, owner: str) -> bool:
    """Whether the runner `owner` holds the task: in progress under its lease."""
    return status is RUNNING and lease_owner == owner


def can_cancel_run(status: TaskStatus, leased: bool) -> bool:
    """Whether a live run of the task can be cancelled (a runner holds it)."""
    return has_live_run(status, leased)


def cancel_refusal(key: str, status: TaskStatus, leased: bool) -> str | None:
    """Why there is no run of the task to cancel, in one line; None when there is."""
    if can_cancel_run(status, leased):
        return None
    return f"{key} has no running command to cancel (it is {words(status.value)})"


def run_open(status: RunStatus) -> bool:
    """Whether the run is open (in `RUN_OPEN`): its processes may still run."""
    return status in RUN_OPEN


def run_stopping(status: RunStatus, cancel_requested: str | None) -> bool:
    """Whether the run is being stopped: someone asked for it to be stopped (its
    `cancel_requested` says who and why) while it is still open (`run_open`:
    its processes may still run, until its runner or `task cancel-run` closes it)."""
    return run_open(status) and cancel_requested is not None


class TextWhile(NamedTuple):
    """A row whose `status` column is `status` and whose `column` holds text (not
    NULL, not empty): a rule over a table's rows, applied to a row's values by
    `text_while` and rendered as SQL by `store.schema.text_while_sql`."""

    status: RunStatus
    column: str


#: Before runs had `cancel_requested` (schema version 5, and its JSON and YAML
#: exports), an open run (version 5 wrote them `running` only) with an error was being
#: stopped, its error saying who asked and why: that text is its `cancel_requested`
#: now (and its error none). The schema-6 migration and the import of a version-5
#: export apply it.
STOP_ASKED_BEFORE_V6 = TextWhile(RunStatus.RUNNING, "error")


def text_while(rule: TextWhile, row: Mapping[str, object]) -> str | None:
    """The text `rule` finds in `row` (its values by column name); None when it finds none."""
    text = row.get(rule.column)
    if row.get("status") == rule.status.value and isinstance(text, str) and text:
        return text
    return None


def run_state(status: RunStatus, cancel_requested: str | None) -> str:
    """The word a person sees for a run's state: `stopping` while it is being
    stopped (`run_stopping`), else its status."""
    return "stopping" if run_stopping(status, cancel_requested) else status.value


def run_state_text(status: RunStatus, cancel_requested: str | None) -> str:
    """The run's state with who asked for a stop, while it is stopping."""
    if run_stopping(status, cancel_requested):
        return f"stopping ({cancel_requested})"
    return words(status.value)


def exit_code_reason(exit_code: int | None) -> str:
    """Why a run failed when its exit code is all there is to say: `exit code 1`."""
    return f"exit code {exit_code}"


def run_ended_text(
    run_id: int,
    status: RunStatus,
    exit_code: int | None,
    reason: str | None = None,
    last_line: str | None = None,
) -> str:
    """How a run ended, as its `run_finished` event and the log pane's last line say
    it: `run 3 timed out`, `run 3 failed (exit 1): Not logged in` (`run_end_text`)."""
    return f"run {run_id} {run_end_text(status, exit_code, reason, last_line)}"


def waiting_for_answers(asked: Sequence[int]) -> str:
    """Why a task waits for the answers to the questions (ids) its run ended on: its
    reason, and that run's (`ended_on_questions`)."""
    which = ", ".join(str(q) for q in asked)
    return f"waiting for an answer to question{'s' if len(asked) > 1 else ''} {which}"


#: How a run is said to have ended when it ended well with questions its agent asked
#: still open: its task waits for their answers (blocked), its work is not finished.
ENDED_ON_A_QUESTION = "ended on a question"


def ended_on_questions(status: RunStatus, reason: str | None) -> bool:
    """Whether a run ended well but left its task waiting for answers to questions it
    asked: the one succeeded run with a reason, its task's (`waiting for an answer to
    question 2`), written with its end by the same decision that moves the task."""
    return status is RunStatus.SUCCEEDED and bool(reason)


def run_end_text(
    status: RunStatus,
    exit_code: int | None,
    reason: str | None = None,
    last_line: str | None = None,
) -> str:
    """How a run ended, after its name: `failed (exit 1): Not logged in`. A `reason`
    that only repeats the exit code is not said twice, nor the status when the reason
    opens with it (`timed out after 3600s`), nor a reason the log's `last_line` says
    already (`✗ Not logged in`: the log's closing line is read right after it)."""
    code = "" if exit_code is None else f" (exit {exit_code})"
    ended = ENDED_ON_A_QUESTION if ended_on_questions(status, reason) else words(status.value)
    said = f"{ended}{code}"
    if reason and exit_code is not None:
        reason = reason.removeprefix(f"{exit_code_reason(exit_code)}: ")  # `exit 1` said
        if reason == exit_code_reason(exit_code):
            return said
    if not reason or (last_line is not None and last_line.rstrip().endswith(reason)):
        return said
    if reason.startswith(f"{ended} "):
        return f"{reason}{code}"
    return f"{said}: {reason}"


def last_run_text(
    run_id: int,
    status: RunStatus,
    cancel_requested: str | None,
    exit_code: int | None,
    error: str | None,
) -> str:
    """`task show`'s last run: `#7 running`, `#7 stopping (who asked)`, or once it
    ended how (`#7 failed (exit 1): Not logged in`, as the log pane says it).
    Untrusted (the error is the agent's): make it printable before showing it."""
    if not status.is_finished:
        return f"#{run_id} {run_state_text(status, cancel_requested)}"
    return f"#{run_id} {run_end_text(status, exit_code, error)}"


def no_output_text(status: RunStatus, error: str | None) -> str:
    """What a run without a line of output says, in the log pane and `task logs`
    alike: that it runs, or that it wrote nothing and why it ended (a start error such
    as a missing working directory is the run's error)."""
    if not status.is_finished:
        return "no output yet"
    if error:
        return f"this run wrote no output: {printable(error)}"
    return "this run wrote no output"


def decision_refusal(key: str, status: TaskStatus) -> str | None:
    """Why approve, reject and request changes do not apply; None when they do."""
    if status in DECIDABLE:
        return None
    return f"{key} is {words(status.value)}, not awaiting approval"


def feedback_refusal(key: str, status: TaskStatus) -> str | None:
    """Why the task's work cannot be rated yet, in one line; None when it can."""
    if status in RATABLE:
        return None
    return f"{key} is {words(status.value)}: only finished (done) work can be rated"


def progress_refusal(
    key: str, status: TaskStatus, waiting_for: Sequence[str], percent: int
) -> str | None:
    """Why `percent` cannot be recorded as the progress of task `key` in `status`,
    `waiting_for` its open blocking dependencies, in one line; None when it can.
    Finished work (`WORK_FINISHED`) shows 100%, nothing less; a task waiting on its
    dependencies (readiness `waiting`) cannot start, so it has no work to measure."""
    if status in WORK_FINISHED and percent != 100:
        return f"{key} is {words(status.value)}: finished work shows 100%, not {percent}%"
    if readiness(status, len(waiting_for)) is Readiness.WAITING:
        return (
            f"{key} waits for {', '.join(waiting_for)} and cannot start:"
            " progress is recorded once it can"
        )
    return None


def no_open_question(key: str) -> str:
    """What answering says of a task none of whose questions is open."""
    return f"{key} has no open question"


#: A question is open (waits for an answer) while none of these columns is set:
#: answered, or closed because its task's work ended.
QUESTION_SETTLED_COLUMNS: tuple[str, ...] = ("answered_at", "closed_at")


def question_open(question: object) -> bool:
    """Whether a question (a view or a row: anything with the settled columns as
    attributes) still waits for an answer."""
    return all(getattr(question, name) is None for name in QUESTION_SETTLED_COLUMNS)


def closed_question_refusal(key: str, question_id: int, status: str) -> str:
    """What answering (or waiting on) a question closed with its task says."""
    return (
        f"{key}'s question {question_id} was closed when {key} ended (it is "
        f"{words(status)}): nobody waits for its answer"
    )


def answer_refusal(key: str, open_questions: int) -> str | None:
    """Why the task has nothing to answer, in one line; None when a question is open."""
    return None if open_questions else no_open_question(key)


def run_refusal(
    key: str, status: TaskStatus, has_command: bool, open_blockers: int, leased: bool = False
) -> str | None:
    """Why the task's command cannot run now, in one line; None when it can."""
    if not has_command:
        return f"{key} has no command to run"
    if has_live_run(status, leased):
        return f"{key} is running its command already"
    if status is RUNNING:
        return (
            f"{key} is in progress by hand, with nothing running: "
            "reset it to pending to run its command"
        )
    if status not in RUN_ON_DEMAND:
        return f"{key} is {words(status.value)}: only pending or failed tasks run"
    if open_blockers:
        blockers = counted(open_blockers, "unfinished blocking dependency")
        return f"{key} waits on {blockers}"
    return None


def priority_ranks() -> dict[str, int]:
    """Priority word -> rank, for sorting in SQL."""
    return {p.value: p.rank for p in Priority}


#: Status rank of an unknown status word in the database: after every known one.
DEFAULT_STATUS_RANK = len(TaskStatus)


def status_ranks() -> dict[str, int]:
    """Status word -> rank: workflow order, the order `TaskStatus` declares them."""
    return {s.value: rank for rank, s in enumerate(TaskStatus)}


#: Agent types an agent or runner serves unless told otherwise: everything but
#: people's work.
MACHINE_TYPES: tuple[str, ...] = tuple(t.value for t in AgentType if t is not AgentType.HUMAN)

#: Which claimable task comes next: ranked by these, each ascending, in order
#: (`priority_rank` negated: the most urgent first; then the oldest, lowest id).
#: `task next`, MCP `next_task` and every claim take them in this order.
NEXT_ORDER: tuple[str, ...] = ("-priority_rank", "id")


def serves(task_agent_type: str | None, agent_types: Collection[str] | None) -> bool:
    """Whether an agent serving `agent_types` (every type when None) takes a task of
    `task_agent_type`: a task naming no type is open to every agent."""
    return agent_types is None or task_agent_type is None or task_agent_type in agent_types


def sql_in(
    values: frozenset[TaskStatus] | frozenset[DependencyType] | frozenset[RunStatus],
) -> str:
    """`('a', 'b')` for SQL text built from these constant words (never user input)."""
    return "(" + ", ".join(f"'{v.value}'" for v in sorted(values)) + ")"
