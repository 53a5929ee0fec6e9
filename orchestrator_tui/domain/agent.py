"""What a plan, a task or a config file says about coding agents: profiles
(how to call an agent CLI), a task's use of one, and budgets.

Plain validated data; building argv and rendering prompts live in
`orchestrator_tui.agents`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .command_text import AGENT_TIMEOUT_SECONDS

PROFILE_NAME = r"^[A-Za-z][A-Za-z0-9_-]{0,39}$"
#: Placeholders an argv item may hold; an item naming one that has no value is left out.
PLACEHOLDERS = ("prompt", "prompt_file", "model", "session_id")
#: An argv item that is exactly this is replaced by the extra arguments (task, plan, git).
ARGS_SLOT = "{args}"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\*?$")


class PromptVia(StrEnum):
    """How the rendered prompt reaches the agent."""

    ARGUMENT = "argument"  # in argv, where `{prompt}` is
    STDIN = "stdin"  # on its standard input
    FILE = "file"  # in a file whose path is where `{prompt_file}` is


class ParserName(StrEnum):
    CLAUDE = "claude"  # Claude Code --output-format stream-json
    CODEX = "codex"  # codex exec --json
    GEMINI = "gemini"  # gemini --output-format stream-json
    OPENCODE = "opencode"  # opencode run --format json
    AIDER = "aider"  # aider's plain output, with its token and cost lines
    PLAIN = "plain"  # any command: lines as they are


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_argv(argv: list[str]) -> list[str]:
    if not argv or not argv[0].strip():
        raise ValueError("the program (first argument) is empty")
    if _PLACEHOLDER.search(argv[0]):
        raise ValueError("the program (first argument) cannot be a placeholder")
    for item in argv:
        for name in _PLACEHOLDER.findall(item):
            if name not in PLACEHOLDERS and item != ARGS_SLOT:
                known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                raise ValueError(f"unknown placeholder {{{name}}} in {item!r} (known: {known})")
    return argv


class Budget(_Strict):
    """Limits on all of one task's runs together, or on all of a plan's."""

    usd: float | None = Field(default=None, gt=0)
    tokens: int | None = Field(default=None, gt=0)
    seconds: float | None = Field(default=None, gt=0)

    @property
    def empty(self) -> bool:
        return self.usd is None and self.tokens is None and self.seconds is None


class AgentProfile(_Strict):
    """How to call one agent CLI. Placeholders in argv items: {prompt},
    {prompt_file}, {model}, {session_id}; an item that is exactly {args} takes the
    extra arguments. An item whose placeholder has no value (no model set, no
    session to resume) is left out."""

    argv: list[str] = Field(min_length=1)
    #: Used instead of argv when the previous attempt left a session to resume.
    resume_argv: list[str] | None = None
    prompt: PromptVia = PromptVia.ARGUMENT
    parser: ParserName = ParserName.PLAIN
    #: Environment variables passed to the agent besides a small safe set
    #: (PATH, HOME, locale, proxies, ...); a trailing * matches a prefix.
    #: None passes the whole environment.
    env: list[str] | None = None
    #: Extra arguments when the working directory is not inside a git work tree.
    outside_git_args: list[str] = Field(default_factory=list)
    #: A prompt template for tasks using this profile (Jinja syntax, sandboxed).
    template: str | None = None
    description: str = ""
    #: How long a run may go on when its task sets no timeout; None: no limit.
    timeout_seconds: float | None = Field(default=AGENT_TIMEOUT_SECONDS, gt=0)

    @field_validator("argv")
    @classmethod
    def _argv(cls, value: list[str]) -> list[str]:
        return _check_argv(value)

    @field_validator("resume_argv")
    @classmethod
    def _resume(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        _check_argv(value)
        if not any("{session_id}" in item for item in value):
            raise ValueError("resume_argv must use {session_id}")
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: list[str] | None) -> list[str] | None:
        for name in value or []:
            if not _ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
        return value

    @model_validator(mode="after")
    def _prompt_has_a_place(self) -> AgentProfile:
        wanted = {PromptVia.ARGUMENT: "{prompt}", PromptVia.FILE: "{prompt_file}"}.get(self.prompt)
        for argv in (self.argv, self.resume_argv):
            if wanted and argv is not None and not any(wanted in item for item in argv):
                raise ValueError(f"prompt: {self.prompt.value} needs {wanted} in every argv")
        return self


class AgentUse(_Strict):
    """A task's (or a plan's default) choice of agent: `agent: {profile: claude, ...}`."""

    #: Unset only in a plan task whose plan's `agent:` names one.
    profile: str | None = Field(default=None, pattern=PROFILE_NAME)
    model: str | None = Field(default=None, max_length=200)
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    template: str | None = Field(default=None, max_length=100_000)
    budget: Budget | None = None
    #: A profile defined in the plan file, kept with the task so any runner can use it.
    definition: AgentProfile | None = None
    #: The plan the task came from, when that plan has a budget.
    plan: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """`agent: claude` means `agent: {profile: claude}`."""
        return {"profile": value} if isinstance(value, str) else value

    def merged_over(self, default: AgentUse | None) -> AgentUse:
        """This use with the plan default's fields filled in where unset."""
        if default is None:
            return self
        mine = self.model_dump(exclude_unset=True)
        base = default.model_dump(exclude_unset=True)
        if mine.get("profile") not in (None, default.profile):
            base = {k: v for k, v in base.items() if k in ("budget", "template")}
        merged = {**base, **mine}
        merged["env"] = {**base.get("env", {}), **mine.get("env", {})}
        return AgentUse.model_validate(merged)


class AgentRunFacts(BaseModel):
    """What a coding agent's run records besides what every run does (all None
    for a plain command's run): the one definition of the runs table's agent
    columns and of what a run view shows of its agent."""

    profile: str | None = None
    prompt: str | None = None
    session_id: str | None = None
    model: str | None = None
    turns: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    summary: str | None = None

    @property
    def tokens(self) -> int:
        return (self.input_tokens or 0) + (self.output_tokens or 0)


class SpendRow(BaseModel):
    """Agent runs' tokens and cost under one name (a profile, an agent, a day)."""

    model_config = ConfigDict(frozen=True)

    name: str
    runs: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cost_usd: float
    #: How many of the runs reported a cost (Codex and Gemini report none).
    costed_runs: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def reported_cost(self) -> float | None:
        """The cost the runs reported, or None when none of them reported one."""
        return self.cost_usd if self.costed_runs else None

    @classmethod
    def of_runs(cls, name: str, runs: Iterable[AgentRunFacts]) -> SpendRow:
        """The sums over the agent runs among `runs` (those with a profile)."""
        mine = [r for r in runs if r.profile]
        return cls(
            name=name,
            runs=len(mine),
            input_tokens=sum(r.input_tokens or 0 for r in mine),
            output_tokens=sum(r.output_tokens or 0 for r in mine),
            cached_tokens=sum(r.cached_tokens or 0 for r in mine),
            cost_usd=round(sum(r.cost_usd or 0.0 for r in mine), 6),
            costed_runs=sum(1 for r in mine if r.cost_usd is not None),
        )


class Spend(BaseModel):
    """Tokens and cost of agent runs: in total, per profile, per agent, per day,
    and the plans whose budget is spent (with why)."""

    model_config = ConfigDict(frozen=True)

    total: SpendRow
    by_profile: list[SpendRow]
    by_agent: list[SpendRow]
    by_day: list[SpendRow]
    exhausted_plans: dict[str, str]
