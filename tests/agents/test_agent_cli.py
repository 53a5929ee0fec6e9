"""The CLI on agent runs: task runs, task logs --raw/--prompt, stats, agent profiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator_tui.services import Orchestrator

from .helpers import add_agent_task, cli_here, serve


def test_runs_logs_and_stats_show_what_agents_did_and_spent(
    orch: Orchestrator, db_url: str, capsys: Any
) -> None:
    add_agent_task(orch, "A", "claude", description="Fix the [b]parser[/b]")
    serve(orch)
    code, out, _ = cli_here(capsys, db_url, "task", "runs", "A")
    assert code == 0
    header, row = out.splitlines()[:2]
    assert "PROFILE" in header and "TOKENS" in header and "COST" in header
    assert "fake-claude" in row and "2900" in row and "$0.0421" in row
    assert "summary of run 1: Fixed the parser; tests pass." in out
    code, out, _ = cli_here(capsys, db_url, "task", "runs", "A", "--json")
    (run,) = json.loads(out)
    assert run["cost_usd"] == pytest.approx(0.0421) and run["session_id"]
    assert "Fix the [b]parser[/b]" in run["prompt"]
    code, out, _ = cli_here(capsys, db_url, "task", "logs", "A", "--prompt")
    assert out.startswith("You are working on task A: task A\n")
    code, out, _ = cli_here(capsys, db_url, "task", "logs", "A", "--raw")
    assert all(json.loads(line)["type"] for line in out.splitlines())
    code, out, _ = cli_here(capsys, db_url, "task", "logs", "A")
    assert "→ Bash pytest -q" in out.splitlines()
    code, out, _ = cli_here(capsys, db_url, "stats", "--json")
    spend = json.loads(out)["agent_spend"]
    assert spend["total"]["runs"] == 1
    assert spend["by_profile"][0]["name"] == "fake-claude"
    code, out, _ = cli_here(capsys, db_url, "stats")
    assert "spend      $0.0421 over 1 agent run" in out


def test_an_agent_that_reports_no_cost_is_not_said_to_be_free(
    orch: Orchestrator, db_url: str, capsys: Any
) -> None:
    add_agent_task(orch, "CX", "codex")  # codex reports tokens, never a cost
    serve(orch)
    code, out, _ = cli_here(capsys, db_url, "task", "runs", "CX")
    assert code == 0
    assert "agent runs: 1, 5400 tokens (1000 cached), cost not reported" in out
    code, out, _ = cli_here(capsys, db_url, "stats")
    assert "spend      cost not reported over 1 agent run," in out
    assert "  profile  fake-codex: cost not reported (1 run)" in out.splitlines()
    code, out, _ = cli_here(capsys, db_url, "stats", "--json")
    total = json.loads(out)["agent_spend"]["total"]
    assert (total["cost_usd"], total["costed_runs"]) == (0.0, 0)


def test_agent_profiles_lists_builtin_and_configured_ones(
    db_url: str, capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "agents.yaml"
    config.write_text("mine:\n  argv: [my-agent, --task, '{prompt}']\n  timeout_seconds: null\n")
    monkeypatch.setenv("ORCHESTRATOR_TUI_AGENTS", str(config))
    code, out, _ = cli_here(capsys, db_url, "agent", "profiles")
    rows = [line.split()[:5] for line in out.splitlines()]
    assert rows[0] == ["PROFILE", "PARSER", "PROMPT", "RESUMES", "TIMEOUT"]
    assert [(row[0], row[4]) for row in rows[1:]] == [
        *((name, "3600s") for name in ("claude", "codex", "gemini", "opencode", "aider")),
        ("simulated", "3600s"),
        ("mine", "none"),
    ]
    config.write_text("mine:\n  argv: [my-agent]\n  prompt: carrier-pigeon\n")
    code, _, err = cli_here(capsys, db_url, "agent", "profiles")
    assert code == 7
    assert f"{config}: profiles.mine.prompt: Input should be" in err
    config.write_text("mine:\n  argv: [my-agent, '{prompt}']\n  template: '{{ titel }}'\n")
    code, _, err = cli_here(capsys, db_url, "agent", "profiles")
    assert code == 7
    assert err.startswith(f"error: {config}: profiles.mine.template: unknown template variable")


def test_logs_prompt_and_raw_keep_to_json_and_to_following(
    orch: Orchestrator, db_url: str, capsys: Any
) -> None:
    add_agent_task(orch, "A", "claude")
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    code, out, _ = cli_here(capsys, db_url, "task", "logs", "A", "--prompt", "--json")
    assert code == 0
    assert json.loads(out) == {"run": run.id, "prompt": run.prompt}
    _, raw, _ = cli_here(capsys, db_url, "task", "logs", "A", "--raw")
    code, out, _ = cli_here(
        capsys, db_url, "task", "logs", "A", "--run", str(run.id), "--follow", "--raw"
    )
    assert code == 0
    assert out == raw
    assert json.loads(out.splitlines()[0])["type"] == "system"
    code, out, err = cli_here(capsys, db_url, "task", "logs", "A", "--prompt", "--raw")
    assert (code, out) == (2, "")
    assert err.startswith("error: --prompt shows the prompt alone")
