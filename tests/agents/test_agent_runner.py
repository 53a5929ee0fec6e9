"""Coding agents run by the runner: fake CLIs printing each documented shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator_tui.domain.enums import LogStream, RunStatus, TaskStatus
from orchestrator_tui.services import Orchestrator

from .helpers import add_agent_task, serve

S = TaskStatus


def shown(orch: Orchestrator, run_id: int) -> list[tuple[str, str]]:
    return [(v.stream.value, v.text) for v in orch.queries.log_lines(run_id, limit=10_000)]


def test_claude_run_shows_tool_calls_and_stores_usage_cost_session_and_summary(
    orch: Orchestrator,
) -> None:
    add_agent_task(orch, "A", "claude", model="opus")
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert orch.queries.get_task("A").status is S.DONE
    lines = shown(orch, run.id)
    assert ("stdout", "→ Read src/app.py") in lines
    assert ("stdout", "→ Bash pytest -q") in lines
    assert ("stderr", "✗ tool failed: file not found") in lines
    assert ("stdout", "All tests pass.") in lines
    assert run.profile == "fake-claude"
    assert run.session_id and len(run.session_id) == 36
    assert run.model == "opus"
    assert (run.input_tokens, run.output_tokens, run.cached_tokens) == (2700, 200, 300)
    assert run.cost_usd == pytest.approx(0.0421)
    assert run.turns == 3
    assert run.summary == "Fixed the parser; tests pass."
    raw = orch.queries.log_lines(run.id, raw=True)
    assert all(v.stream is LogStream.RAW for v in raw)
    assert json.loads(raw[0].text)["type"] == "system"
    assert json.loads(raw[-1].text)["type"] == "result"
    assert "You are working on task A: task A" in (run.prompt or "")
