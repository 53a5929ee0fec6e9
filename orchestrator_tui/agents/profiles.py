"""Agent profiles: the built-in ones, validating the user's, and turning a
profile plus a task's choices into the argument list, environment and prompt
plumbing of one run.

The user's profiles live in `~/.config/orchestrator-tui/agents.yaml` (or the
file named by $ORCHESTRATOR_TUI_AGENTS; read by `services.agent_profiles`):

    profiles:
      claude-opus:
        argv: [claude, -p, --output-format, stream-json, --verbose, --model=opus, "{args}",
               --, "{prompt}"]
        resume_argv: [claude, -p, --output-format, stream-json, --verbose,
                      "--resume={session_id}", --model=opus, "{args}", --, "{prompt}"]
        parser: claude
        env: [ANTHROPIC_*]
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..domain.agent import (
    ARGS_SLOT,
    PROFILE_NAME,
    AgentProfile,
    AgentUse,
    ParserName,
    PromptVia,
)
from ..domain.command_text import BUILTIN_AGENT_TIMEOUTS, OWN_COMMAND
from ..domain.errors import ValidationFailed, validation_message
from ..domain.nearest import did_you_mean

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

#: The profile that runs the task's own `command` (with {prompt} filled in if it has one).
COMMAND = OWN_COMMAND

#: Always passed to an agent whose profile lists its environment variables.
SAFE_ENV = (
    *("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_*", "TERM", "TZ", "TMPDIR"),
    *("XDG_*", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy"),
    *("no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "PYTHONUNBUFFERED"),
    "ORCHESTRATOR_TUI_*",
)


def _p(**kw: Any) -> AgentProfile:
    return AgentProfile.model_validate(kw)


def _resumable(head: list[str], tail: list[str], resume: str) -> dict[str, list[str]]:
    """`head TAIL`, resumed as `head RESUME TAIL` (RESUME names {session_id})."""
    return {"argv": [*head, *tail], "resume_argv": [*head, resume, *tail]}


_CLAUDE = ["claude", "-p", "--output-format", "stream-json", "--verbose"]
_CODEX = ["codex", "exec", "--json"]
_OPENCODE = ["opencode", "run", "--format", "json"]
#: `--model=M ARGS -- PROMPT`: how Claude Code, Codex and opencode take the rest.
_MODEL_ARGS_PROMPT = ["--model={model}", ARGS_SLOT, "--", "{prompt}"]

#: How each built-in profile runs its agent, by the names `BUILTIN_AGENT_TIMEOUTS` lists.
_BUILTIN_RUNS: dict[str, dict[str, Any]] = {
    "claude": dict(
        description="Claude Code in print mode, streaming JSON events",
        **_resumable(_CLAUDE, _MODEL_ARGS_PROMPT, "--resume={session_id}"),
        parser="claude",
        env=["ANTHROPIC_*", "CLAUDE_*", "AWS_*", "GOOGLE_*", "CLOUD_ML_*", "DISABLE_*"],
    ),
    "codex": dict(
        description="Codex non-interactive (codex exec) with JSON events",
        argv=[*_CODEX, *_MODEL_ARGS_PROMPT],
        # `codex exec resume` takes the thread id before the prompt.
        resume_argv=[
            *("codex", "exec", "resume", "--json", "--model={model}", ARGS_SLOT, "--"),
            *("{session_id}", "{prompt}"),
        ],
        parser="codex",
        env=["OPENAI_*", "CODEX_*", "AZURE_OPENAI_*"],
        outside_git_args=["--skip-git-repo-check"],
    ),
    "gemini": dict(
        description="Gemini CLI headless, streaming JSON events",
        argv=[
            *("gemini", "--output-format", "stream-json", "--model={model}", ARGS_SLOT),
            "--prompt={prompt}",
        ],
        parser="gemini",
        env=["GEMINI_*", "GOOGLE_*", "GOOGLE_GENAI_*"],
    ),
    "opencode": dict(
        description="opencode run with JSON events",
        **_resumable(_OPENCODE, _MODEL_ARGS_PROMPT, "--session={session_id}"),
        parser="opencode",
        env=["OPENCODE_*", "ANTHROPIC_*", "OPENAI_*", "GEMINI_*", "OPENROUTER_*"],
    ),
    "aider": dict(
        description="aider, one message from a file, no colours or streaming",
        argv=[
            *("aider", "--no-pretty", "--no-stream", "--yes-always", "--model={model}"),
            *(ARGS_SLOT, "--message-file={prompt_file}"),
        ],
        prompt="file",
        parser="aider",
        env=["AIDER_*", "ANTHROPIC_*", "OPENAI_*", "GEMINI_*", "OPENROUTER_*", "DEEPSEEK_*"],
    ),
    "simulated": dict(
        description="the demo agent: speaks Claude Code's stream-json, reads the prompt on stdin",
        **_resumable(
            ["orchestrator-tui", "simulate", "--stream-json"], [ARGS_SLOT], "--resume={session_id}"
        ),
        prompt="stdin",
        parser="claude",
    ),
}


def _builtin() -> dict[str, AgentProfile]:
    """A profile for each name `BUILTIN_AGENT_TIMEOUTS` lists, with its timeout."""
    if set(_BUILTIN_RUNS) != set(BUILTIN_AGENT_TIMEOUTS):
        raise RuntimeError("every built-in agent profile is named in BUILTIN_AGENT_TIMEOUTS")
    return {
        name: _p(**_BUILTIN_RUNS[name], timeout_seconds=timeout)
        for name, timeout in BUILTIN_AGENT_TIMEOUTS.items()
    }


BUILTIN: dict[str, AgentProfile] = _builtin()


def check_profile_name(name: object, origin: str) -> None:
    """Refuse a name a profile of one's own cannot have (in agents.yaml or a plan)."""
    if not isinstance(name, str) or not re.match(PROFILE_NAME, name):
        raise ValidationFailed(
            f"{origin}: profiles.{name}: a name is a letter then letters, digits, - or _"
        )
    if name == COMMAND:
        raise ValidationFailed(f"{origin}: profiles.{name}: `command` is reserved")


def parse_profiles(data: Any, origin: str) -> dict[str, AgentProfile]:
    """`{name: profile}` or `{profiles: {...}}`, validated; errors name origin and field."""
    if isinstance(data, dict) and set(data) == {"profiles"}:
        data = data["profiles"]
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationFailed(f"{origin}: profiles are a mapping of name to profile")
    out: dict[str, AgentProfile] = {}
    for name, body in data.items():
        check_profile_name(name, origin)
        try:
            out[name] = AgentProfile.model_validate(body)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            field_path = f"profiles.{name}" + (f".{where}" if where else "")
            raise ValidationFailed(f"{origin}: {field_path}: {validation_message(err)}") from None
        if template := out[name].template:
            from .prompt import check_template  # jinja2 only when a profile has a template

            check_template(template, f"{origin}: profiles.{name}.template")
    return out


def resolve(
    use: AgentUse, profiles: Mapping[str, AgentProfile], command_argv: list[str] | None = None
) -> AgentProfile:
    """The profile a task's `agent:` names: its own definition (from its plan),
    else the user's or a built-in one; `command` wraps the task's command."""
    if use.definition is not None:
        return use.definition
    if use.profile is None:
        raise ValidationFailed("the task's agent names no profile")
    if use.profile == COMMAND:
        if not command_argv:
            raise ValidationFailed("profile `command` needs the task's command argv")
        takes_prompt = any("{prompt}" in a for a in command_argv)
        return AgentProfile(
            argv=command_argv, prompt=PromptVia.ARGUMENT if takes_prompt else PromptVia.STDIN
        )
    if use.profile not in profiles:
        raise ValidationFailed(unknown_profile(use.profile, profiles))
    return profiles[use.profile]


def unknown_profile(name: str, profiles: Iterable[str]) -> str:
    """The refusal of a profile nobody defined, with the nearest known names: every
    door (`--agent`, a plan, agents.yaml, MCP, the TUI's forms, a run) says it so."""
    known = sorted({*profiles, COMMAND})
    return f"unknown agent profile {name!r}{did_you_mean(name, known)} (known: {', '.join(known)})"


def inside_git(cwd: str | None) -> bool:
    """Whether `cwd` (default: the current directory) is inside a git work tree."""
    here = Path(cwd or ".").expanduser().resolve()
    return any((p / ".git").exists() for p in (here, *here.parents))


@dataclass(frozen=True)
class Invocation:
    """One run of an agent: what to execute and how to read it."""

    argv: list[str]
    parser: ParserName
    env: dict[str, str] = field(default_factory=dict)
    #: The file holding the prompt, given as standard input (prompt: stdin).
    stdin_path: str | None = None
    resumed: bool = False


def build_invocation(
    profile: AgentProfile,
    use: AgentUse,
    prompt: str,
    *,
    prompt_file: str | None = None,
    session_id: str | None = None,
    cwd: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Invocation:
    """The argv (placeholders filled, unset ones left out), environment and stdin of a run.

    `prompt_file` must hold `prompt` when the profile reads it from a file or stdin.
    """
    resumed = session_id is not None and profile.resume_argv is not None
    template = profile.resume_argv if resumed and profile.resume_argv else profile.argv
    extra = list(use.args)
    if profile.outside_git_args and not inside_git(cwd):
        extra = [*profile.outside_git_args, *extra]
    values = {
        "prompt": prompt if profile.prompt is PromptVia.ARGUMENT else None,
        "prompt_file": prompt_file,
        "model": use.model,
        "session_id": session_id if resumed else None,
    }
    argv: list[str] = []
    for item in template:
        if item == ARGS_SLOT:
            argv.extend(extra)
            continue
        filled = _fill(item, values)
        if filled is not None:
            argv.append(filled)
    if ARGS_SLOT not in template:
        argv.extend(extra)
    environ = os.environ if environ is None else environ
    env = {k: v for k, v in environ.items() if _passes(k, profile.env)}
    env.update(use.env)
    stdin = prompt_file if profile.prompt is PromptVia.STDIN else None
    return Invocation(argv=argv, parser=profile.parser, env=env, stdin_path=stdin, resumed=resumed)


def _fill(item: str, values: Mapping[str, str | None]) -> str | None:
    """Replace known placeholders in one pass (values are never scanned again,
    nor used as format strings); None when one of them has no value."""
    names = [n for n in _PLACEHOLDER.findall(item) if n in values]
    if any(values[n] is None for n in names):
        return None

    def one(m: re.Match[str]) -> str:
        value = values.get(m.group(1))
        return m.group(0) if value is None else value

    return _PLACEHOLDER.sub(one, item)


def _passes(name: str, allowed: list[str] | None) -> bool:
    if allowed is None:
        return True
    for pattern in (*SAFE_ENV, *allowed):
        if pattern.endswith("*") and name.startswith(pattern[:-1]):
            return True
        if name == pattern:
            return True
    return False
