"""Agent tasks run by fake agent CLIs (fake_agent.py) printing each real shape."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from orchestrator_tui.domain.agent import AgentProfile, AgentUse, Budget
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.runner import Runner
from orchestrator_tui.services import Orchestrator

from ..runner.helpers import fast_config

PY = sys.executable
FAKE = str(Path(__file__).with_name("fake_agent.py"))


def calls(record: Path) -> list[dict[str, Any]]:
    """The calls the fake agent CLI recorded (the `record` fixture's file), in order."""
    return [json.loads(line) for line in record.read_text().splitlines()]


def fake_profile(shape: str, prompt: str = "argument") -> AgentProfile:
    """A profile calling the fake CLI the way the built-in profile calls the real one."""
    head = [PY, FAKE, "--shape", shape]
    where = {"argument": ["--", "{prompt}"], "file": ["--message-file={prompt_file}"]}
    tail = where.get(prompt, [])
    return AgentProfile(
        argv=[*head, "--model={model}", "{args}", *tail],
        resume_argv=[*head, "--resume={session_id}", "--model={model}", "{args}", *tail],
        prompt=prompt,  # type: ignore[arg-type]
        parser=shape if shape != "plain" else "plain",  # type: ignore[arg-type]
    )


def add_agent_task(
    orch: Orchestrator,
    key: str,
    shape: str = "claude",
    scenario: str = "ok",
    *,
    prompt: str = "argument",
    budget: Budget | None = None,
    model: str | None = None,
    timeout: float | None = None,
    **task: Any,
) -> None:
    use = AgentUse(
        profile=f"fake-{shape}",
        model=model,
        args=["--scenario", scenario],
        definition=fake_profile(shape, prompt),
        budget=budget,
    )
    command = CommandSpec(argv=[FAKE], agent=use, timeout_seconds=timeout)
    orch.tasks.create(TaskSpec(key=key, title=f"task {key}", command=command, **task))


def serve(orch: Orchestrator, **kw: Any) -> list[object]:
    events: list[object] = []
    config = fast_config(**kw)
    Runner(orch.as_actor(config.agent), config, events.append).serve()
    return events


def cli_here(capsys: Any, db_url: str, *args: str, actor: str = "alice") -> tuple[int, str, str]:
    """The CLI in this process: exit code, stdout, stderr."""
    from orchestrator_tui.cli import main

    capsys.readouterr()
    code = main(["--db", db_url, "--as", actor, *args])
    out, err = capsys.readouterr()
    return code, out, err
