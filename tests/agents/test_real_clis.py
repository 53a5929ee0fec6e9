"""The real Claude Code and Codex CLIs, when installed, on a machine where they
cannot reach a model (no credentials in a fresh HOME, or no network): the task
fails with the CLI's own message, the session or thread id is recorded, and the
task is never done. Skipped, with the reason, when a CLI is not on PATH."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestrator_tui.domain.agent import AgentUse
from orchestrator_tui.domain.enums import RunStatus, TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import Orchestrator

from .helpers import serve

#: What is tested is the CLI's failure shape, not the database: one backend is enough.
pytestmark = pytest.mark.sqlite_only


def _no_credentials(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Nobody's real login or API key may be used (nor spent) by this test."""
    home.mkdir()
    (home / ".codex").mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CODEX_HOME", str(home / ".codex"))
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CODEX_API_KEY", raising=False)


def _needs(program: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(f"`{program}` is not on PATH (npm install -g the CLI to run this test)")


def _add(orch: Orchestrator, key: str, profile: str, cwd: Path, timeout: float) -> None:
    command = CommandSpec(
        argv=[profile], cwd=str(cwd), timeout_seconds=timeout, agent=AgentUse(profile=profile)
    )
    orch.tasks.create(TaskSpec(key=key, title="Say hello", command=command))


def test_real_claude_without_login_fails_the_task_with_its_own_message(
    orch: Orchestrator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs("claude")
    _no_credentials(monkeypatch, tmp_path / "home")
    _add(orch, "C", "claude", tmp_path, timeout=120)
    serve(orch, lease_seconds=30)
    (run,) = orch.queries.runs_for("C")
    print(f"claude: exit {run.exit_code}, {run.error!r}, session {run.session_id}")
    assert orch.queries.get_task("C").status is TaskStatus.FAILED
    assert run.status is not RunStatus.SUCCEEDED
    assert run.error and "Not logged in" in run.error
    assert run.session_id and len(run.session_id) == 36
    raw = orch.queries.log_lines(run.id, raw=True)
    assert json.loads(raw[-1].text)["type"] == "result"


def test_real_codex_without_a_model_fails_the_task_with_its_own_message(
    orch: Orchestrator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs("codex")
    _no_credentials(monkeypatch, tmp_path / "home")
    workdir = tmp_path / "not-a-repo"  # so the profile adds --skip-git-repo-check
    workdir.mkdir()
    _add(orch, "X", "codex", workdir, timeout=25)
    serve(orch, lease_seconds=30, kill_grace_seconds=2)
    (run,) = orch.queries.runs_for("X")
    print(f"codex: exit {run.exit_code}, {run.error!r}, thread {run.session_id}")
    assert orch.queries.get_task("X").status is TaskStatus.FAILED
    assert run.status is not RunStatus.SUCCEEDED
    assert run.session_id  # thread.started came before the failure
    # codex's own words: its failed turn, or (without network) its last reconnect error
    own = [json.loads(v.text) for v in orch.queries.log_lines(run.id, raw=True, limit=10_000)]
    messages = [e.get("message") or (e.get("error") or {}).get("message") for e in own]
    assert run.error and any(m and m in run.error for m in messages)
