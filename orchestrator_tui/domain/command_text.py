"""What a task runs, in words, for `task show` and the TUI's detail screen alike.

Reads a `CommandSpec` or the CLI's plain namespace of the same fields, so it imports
no models (the CLI's plain reads load no pydantic).
"""

from __future__ import annotations

from collections.abc import Sequence
from shlex import join
from typing import Any

from .money import usd

#: The agent profile that runs the task's own argv (with `{prompt}` filled in).
OWN_COMMAND = "command"

#: A new task's model given without an agent (the TUI's form, MCP `create_task`).
MODEL_WITHOUT_AGENT = "agent: a model needs an agent"

#: How long a coding agent's run may go on when neither its task (`timeout_seconds`,
#: `task add --timeout`) nor its profile (`timeout_seconds` in agents.yaml or a plan's
#: `profiles:`) says: an agent CLI that hangs gives its runner slot back in an hour.
AGENT_TIMEOUT_SECONDS = 3600.0

#: The agent profiles the app defines itself, by name, with each one's timeout: the
#: one list of them. `agents.profiles.BUILTIN` builds a profile for each name here,
#: and `task show` reads a timeout from here without loading the agents layer.
BUILTIN_AGENT_TIMEOUTS: dict[str, float] = {
    name: AGENT_TIMEOUT_SECONDS
    for name in ("claude", "codex", "gemini", "opencode", "aider", "simulated")
}


def builtin_profile_timeout(profile: str | None) -> float | None:
    """The timeout a run gets from the profile named `profile` when neither the user's
    agents.yaml nor the task's plan defines one: a built-in profile's, or the task's own
    command's (`OWN_COMMAND`); None for any other name, whose run fails for want of it.
    What `task show` says from plain rows, as the runner would find it."""
    if profile == OWN_COMMAND:
        return AGENT_TIMEOUT_SECONDS
    return BUILTIN_AGENT_TIMEOUTS.get(profile or "")


#: How the command line names the two things a task can run, in refusals.
RUN_WORDS_CLI = ("a command after --", "an --agent")


def needs_something_to_run(
    part: str, run_words: tuple[str, str] = ("a command", "an agent")
) -> str:
    """The refusal of a part of what a task runs (its timeout, working directory,
    repository...) given without a command or an agent: `part` and `run_words` are
    what the surface calls them (`RUN_WORDS_CLI` on the command line; the new-task
    form's fields by default)."""
    command, agent = run_words
    return f"{part} needs something to run: {command} or {agent}"


def argv_text(argv: Sequence[str]) -> str:
    """A command as a person reads it and a shell would split it: each argument
    quoted where it must be (`sh -c 'make && make test'`). Unescaped: callers make
    it printable."""
    return join(argv)


def what_runs(command: Any) -> tuple[str, str]:
    """`("agent", "claude, model sonnet, args --max-turns 3")` for a task a coding
    agent does, else `("command", "pytest -q")`, each argument quoted as a shell would
    where it must be (`sh -c 'make && make test'`). Unescaped: callers make it printable."""
    agent = command.agent
    if agent is None or agent.profile in (None, OWN_COMMAND):
        return "command", argv_text(command.argv)
    parts = [agent.profile]
    if agent.model:
        parts.append(f"model {agent.model}")
    if agent.args:
        parts.append(f"args {argv_text(agent.args)}")
    return "agent", ", ".join(parts)


def limits(command: Any, agent_timeout: float | None = None) -> list[tuple[str, str]]:
    """`[("timeout", "600s"), ("budget", "$2.50, 50,000 tokens (all its runs together)")]`:
    what stops a task's run, those it has; `agent_timeout` is its agent profile's
    timeout, what a run gets when the task sets none."""
    lines = []
    if command.timeout_seconds is not None:
        lines.append(("timeout", f"{command.timeout_seconds:g}s"))
    elif agent_timeout is not None:
        lines.append(("timeout", f"{agent_timeout:g}s (the agent profile's)"))
    budget = command.agent.budget if command.agent is not None else None
    if budget is not None:
        parts = [usd(budget.usd)] if budget.usd is not None else []
        if budget.tokens is not None:
            parts.append(f"{budget.tokens:,} tokens")
        if budget.seconds is not None:
            parts.append(f"{budget.seconds:g}s")
        if parts:
            lines.append(("budget", ", ".join(parts) + " (all its runs together)"))
    return lines
