"""The YAML plan format (`sample_data/demo_plan.yaml` is one): a whole plan with
agents, tasks, and optionally their history (runs with logs, progress, notes,
shared context), validated before anything touches the database.

Times are ISO 8601 (a date alone means midnight UTC; no zone means UTC) or
relative to the moment of loading: `-2h`, `-1d4h30m`, `-90s`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .agent import AgentProfile, AgentUse, Budget
from .enums import AgentType, ApprovalDecision, LogStream, RunStatus
from .models import KEY_PATTERN, CommandSpec, TaskSpec
from .rules import STOP_ASKED_BEFORE_V6, text_while
from .workspace import OnApprove, OnVerifyFail, WorkspaceSpec

_RELATIVE = re.compile(r"^([+-])((?:\d+[dhms])+)$")
_PART = re.compile(r"(\d+)([dhms])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def resolve_time(value: datetime | str | None, now: datetime) -> datetime | None:
    """An absolute aware datetime for a plan time (relative ones from `now`)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    match = _RELATIVE.match(value)
    assert match, value  # validated by `_time`
    delta = timedelta(**{_UNITS[u]: int(n) for n, u in _PART.findall(match.group(2))})
    return now - delta if match.group(1) == "-" else now + delta


def absolute_time(value: datetime | date | str) -> datetime:
    """An aware datetime from a datetime, a date (its midnight) or ISO 8601 text;
    no zone means UTC. The one reading of a time for plans and every importer;
    a ValueError naming the value when it is none of them."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 date or time") from None
    elif isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        raise ValueError(f"expected a time, got {type(value).__name__}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_from_iso = datetime.fromisoformat


def _time(value: Any) -> Any:
    """A plan time: absolute (see `absolute_time`), or relative text kept as written."""
    if value is None:
        return None
    if value.__class__ is str:  # the usual case, as `absolute_time` reads it, in one call
        try:
            parsed = _from_iso(value.strip())
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        return absolute_time(value)
    except ValueError:
        if not isinstance(value, str):
            raise
        if _RELATIVE.match(text := value.strip()):
            return text
        raise ValueError(
            f"{value!r} is neither an ISO 8601 time nor relative like -2h30m"
        ) from None


TimeRef = datetime | str


class _PlanInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AgentSpec(_PlanInput):
    name: str = Field(min_length=1, max_length=100)
    type: AgentType = AgentType.CODING
    capabilities: list[str] = Field(default_factory=list)
    last_heartbeat: TimeRef | None = None

    _t = field_validator("last_heartbeat", mode="before")(_time)


class RunSpec(_PlanInput):
    """A run that already happened (history), with its log."""

    agent: str | None = None
    status: RunStatus
    exit_code: int | None = None
    started: TimeRef
    ended: TimeRef | None = None
    outputs: dict[str, Any] = Field(default_factory=dict)
    outputs_uri: str | None = None
    error: str | None = None
    cancel_requested: str | None = None
    log: str = ""
    stderr: str = ""
    # A coding agent's run (see "Running coding agents" in the README).
    profile: str | None = None
    prompt: str | None = None
    session_id: str | None = None
    model: str | None = None
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    cost_usd: float | None = Field(default=None, ge=0)
    summary: str | None = None

    _t = field_validator("started", "ended", mode="before")(_time)

    @model_validator(mode="before")
    @classmethod
    def _stop_asked_in_error(cls, data: Any) -> Any:
        """A run written before runs had `cancel_requested` (no such field: a
        version-5 export) kept who asked it to stop in its `error`; it reads as the
        schema-6 migration rewrote such runs in databases."""
        if isinstance(data, dict) and "cancel_requested" not in data:
            asked = text_while(STOP_ASKED_BEFORE_V6, data)
            if asked is not None:
                return {**data, "cancel_requested": asked, STOP_ASKED_BEFORE_V6.column: None}
        return data

    def lines(self) -> list[tuple[LogStream, str]]:
        out = [(LogStream.STDOUT, line) for line in self.log.splitlines()]
        return out + [(LogStream.STDERR, line) for line in self.stderr.splitlines()]


class ApprovalSpec(_PlanInput):
    """A decision already taken on the task (history)."""

    decision: ApprovalDecision
    by: str = Field(min_length=1)
    comment: str = ""
    at: TimeRef

    _t = field_validator("at", mode="before")(_time)


class ProgressSpec(_PlanInput):
    percent: int = Field(ge=0, le=100)
    message: str = ""
    by: str = "system"
    at: TimeRef

    _t = field_validator("at", mode="before")(_time)


class ParticipantSpec(_PlanInput):
    agent: str = Field(min_length=1)
    role: str = ""
    joined: TimeRef | None = None

    _t = field_validator("joined", mode="before")(_time)


class FeedbackSpec(_PlanInput):
    quality: int = Field(ge=1, le=5)
    timeliness: int = Field(ge=1, le=5)
    notes: str = ""
    by: str = "system"
    at: TimeRef | None = None

    _t = field_validator("at", mode="before")(_time)


class NamedTask(NamedTuple):
    """The task of ours a record in a source stands for, as our export wrote it
    there: its key and, when it came from a source, that source (a task of ours
    with that key from another source is another task), as `source_mark` wrote it."""

    key: str
    source: str | None = None

    def is_from(self, source: str | None) -> bool:
        """Whether a task of ours whose source is `source` is the one named (a mark
        naming no source names any; marks written before `source_mark` hold the
        source itself)."""
        return self.source is None or (
            source is not None and self.source in (source, source_mark(source))
        )

    @staticmethod
    def mark(key: str, source: str | None) -> dict[str, str]:
        """The mark an export writes for the task `key` from `source`."""
        return {"key": key, "source": source_mark(source)} if source else {"key": key}


def source_mark(source: str) -> str:
    """A task's source as an export's mark names it: a fingerprint, since a source
    is a path on the machine that imported it (`task-master:/home/ann/...`), which
    a file shared through git must not carry; the same source gives the same mark
    wherever the file is copied or checked out."""
    return "sha256:" + hashlib.sha256(source.encode()).hexdigest()[:16]


class PlanTask(TaskSpec):
    """A task in a plan file: a TaskSpec plus its history."""

    key: str = Field(pattern=KEY_PATTERN)
    # Wider than TaskSpec's datetime on purpose: a plan may give a relative time
    # ("+3d"), which `resolve_time` turns into a datetime when the plan is written.
    deadline: TimeRef | None = None  # type: ignore[assignment]
    context: dict[str, Any] | None = None
    notes: dict[str, str] = Field(default_factory=dict)
    progress_history: list[ProgressSpec] = Field(default_factory=list)
    runs: list[RunSpec] = Field(default_factory=list)
    participants: list[ParticipantSpec] = Field(default_factory=list)
    feedback: list[FeedbackSpec] = Field(default_factory=list)
    approvals: list[ApprovalSpec] = Field(default_factory=list)
    created: TimeRef | None = None
    updated: TimeRef | None = None
    started: TimeRef | None = None
    completed: TimeRef | None = None
    completion_summary: str = Field(default="", max_length=100_000)
    #: Where and how its command runs (folded into `command` by the plan).
    workspace: WorkspaceSpec | None = None
    verify: list[list[str]] = Field(default_factory=list)
    on_verify_fail: OnVerifyFail | None = None
    on_approve: OnApprove | None = None
    #: The coding agent that does this task (see orchestrator_tui.agents).
    agent: AgentUse | None = None

    _t = field_validator("created", "updated", "started", "completed", mode="before")(_time)
    _d = field_validator("deadline", mode="before")(_time)


#: The fields `PlanSpec._fold_review_options` reads of a task (the fields set
#: read as an attribute: pydantic's `model_fields_set` is a Python property)
_FOLDED_FROM = frozenset(
    ("command", "agent", "workspace", "verify", "on_verify_fail", "on_approve")
)


class PlanSpec(_PlanInput):
    version: int = Field(default=1, ge=1, le=1)
    name: str = "plan"
    description: str = ""
    agents: list[AgentSpec] = Field(default_factory=list)
    #: The workspace of every task with a command that names none of its own.
    workspace: WorkspaceSpec | None = None
    #: Agent profiles for this plan's tasks, by name.
    profiles: dict[str, AgentProfile] = Field(default_factory=dict)
    #: The agent for tasks without a command of their own (people's tasks excepted).
    agent: AgentUse | None = None
    #: A limit on everything the plan's agents spend together.
    budget: Budget | None = None
    tasks: list[PlanTask] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fold_review_options(self) -> PlanSpec:
        """A task's `workspace`, `verify`, `on_verify_fail` and `on_approve` (or the
        plan's `workspace`) become part of its command, where runners read them."""
        for index, task in enumerate(self.tasks):
            if _FOLDED_FROM.isdisjoint(task.__pydantic_fields_set__):
                continue  # none given: no command, nothing to fold (the usual task)
            own = (
                task.workspace is not None or task.verify or task.on_verify_fail or task.on_approve
            )
            if own and self.default_agent_applies(task):
                task.agent = self.agent  # the plan's agent does it, in that workspace
            if task.command is None and task.agent is not None and task.agent.profile != "command":
                # a coding agent is the task's command (its argv comes from the profile)
                task.command = CommandSpec(argv=[task.agent.profile or "agent"])
            if task.command is None:
                if own:
                    raise ValueError(
                        f"tasks[{index}] ({task.key}): workspace, verify and on_approve "
                        "need a command to run"
                    )
                continue
            workspace = task.workspace or task.command.workspace or self.workspace
            if task.on_approve is not None:
                if workspace is None:
                    raise ValueError(f"tasks[{index}] ({task.key}): on_approve needs a workspace")
                workspace = workspace.model_copy(update={"on_approve": task.on_approve})
            update: dict[str, Any] = {"workspace": workspace}
            if task.verify:
                update["verify"] = task.verify
            if task.on_verify_fail is not None:
                update["on_verify_fail"] = task.on_verify_fail
            task.command = task.command.model_copy(update=update)
        return self

    def default_agent_applies(self, task: PlanTask) -> bool:
        """Whether the plan's `agent:` does `task`: one that names no agent and has no
        command of its own, and is no person's."""
        return (
            self.agent is not None
            and task.agent is None
            and task.command is None
            and task.agent_type is not AgentType.HUMAN
        )

    def resolve_paths(self, folder: Path) -> PlanSpec:
        """Relative workspace paths and working directories are relative to the plan
        file's folder (`~` stays for the runner's home)."""
        for task in self.tasks:
            if task.command is not None and _relative(task.command.cwd):
                cwd = str((folder / str(task.command.cwd)).resolve())
                task.command = task.command.model_copy(update={"cwd": cwd})
            workspace = task.command.workspace if task.command else None
            if task.command is None or workspace is None:
                continue
            update = {}
            for name in ("repo", "root"):
                value = getattr(workspace, name)
                if value and not Path(value).expanduser().is_absolute():
                    update[name] = str((folder / value).resolve())
            if update:
                task.command = task.command.model_copy(
                    update={"workspace": workspace.model_copy(update=update)}
                )
        return self


def _relative(path: str | None) -> bool:
    """A path a plan gives relative to its own folder (not absolute, not `~`)."""
    return bool(path) and not Path(str(path)).expanduser().is_absolute()
