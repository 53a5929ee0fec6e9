"""How a runner behaves: its identity, limits, timings and notification hooks."""

from __future__ import annotations

import os
import shlex
import socket
import uuid
from dataclasses import dataclass, field

from ..config import ATTEMPT_ENV as ATTEMPT_ENV
from ..config import EXECUTION_ENV as EXECUTION_ENV
from ..config import NOTIFY_CMD_ENV as NOTIFY_CMD_ENV
from ..config import RUNNER_MARK_ENV as RUNNER_MARK_ENV
from ..config import TASK_ENV as TASK_ENV
from ..config import WEBHOOK_ENV as WEBHOOK_ENV
from ..domain.enums import AgentType
from ..domain.rules import MACHINE_TYPES
from ..services.runs import RetryPolicy

#: Variables every child gets (any of the same name in the task's env are overridden),
#: with TASK_ENV, ATTEMPT_ENV, EXECUTION_ENV and RUNNER_MARK_ENV (the package's config).
RUN_ENV = "ORCHESTRATOR_TUI_RUN"


def default_agent_name() -> str:
    return f"runner@{socket.gethostname()}"


@dataclass
class RunnerConfig:
    """Everything a runner needs besides the database.

    `agent_types`: the task agent types this runner serves (tasks naming no type
    are served by every runner); None serves every type but `human`.
    """

    agent: str = field(default_factory=default_agent_name)
    agent_types: tuple[str, ...] | None = None
    capabilities: list[str] = field(default_factory=list)
    max_parallel: int = 4
    lease_seconds: float = 30.0
    poll_seconds: float = 0.5
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    kill_grace_seconds: float = 5.0
    until_idle: bool = False
    auto: bool = True  # claim ready tasks by itself; False: only tasks asked for
    flush_seconds: float = 0.1
    #: A run that ends while others still run waits this long for more to end, so
    #: they are settled in one transaction: a round's statements cost about the same
    #: for one run as for eight, and short commands end a few milliseconds apart.
    gather_seconds: float = 0.004
    flush_lines: int = 2000
    max_buffered_lines: int = 50_000
    notify_cmd: list[str] | None = None
    webhook: str | None = None
    hook_timeout_seconds: float = 10.0
    #: Unique per runner instance, so two runners with one agent name never share leases.
    lease_owner: str = ""

    def __post_init__(self) -> None:
        if self.max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        if self.lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        if self.gather_seconds < 0:
            raise ValueError("gather_seconds cannot be negative")
        if not self.lease_owner:
            self.lease_owner = f"{self.agent}/{os.getpid()}-{uuid.uuid4().hex[:8]}"

    @property
    def served_types(self) -> tuple[str, ...]:
        return self.agent_types if self.agent_types is not None else MACHINE_TYPES

    @property
    def registered_type(self) -> AgentType:
        """The type the runner registers as: coding if it serves it, else the first it serves."""
        types = self.served_types
        if not types or AgentType.CODING.value in types:
            return AgentType.CODING
        return AgentType(types[0])

    def with_env_hooks(self) -> RunnerConfig:
        """Fill unset hooks from $ORCHESTRATOR_TUI_NOTIFY_CMD and $ORCHESTRATOR_TUI_WEBHOOK."""
        if self.notify_cmd is None and (cmd := os.environ.get(NOTIFY_CMD_ENV, "").strip()):
            self.notify_cmd = shlex.split(cmd)
        if self.webhook is None and (url := os.environ.get(WEBHOOK_ENV, "").strip()):
            self.webhook = url
        return self
