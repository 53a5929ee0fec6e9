"""Agents in plan files: profiles, the plan default, budgets; errors name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator_tui.domain.enums import RunStatus, TaskStatus
from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.services import Orchestrator

from .helpers import FAKE, PY, cli_here, serve

S = TaskStatus


def plan_file(tmp_path: Path, **over: object) -> Path:
    plan = {
        "version": 1,
        "name": "shop",
        "profiles": {
            "fake": {
                "argv": [PY, FAKE, "--shape", "claude", "{args}", "--", "{prompt}"],
                "parser": "claude",
            }
        },
        "agent": {"profile": "fake", "args": ["--scenario", "ok"]},
        "budget": {"usd": 0.08},
        "tasks": [
            {"key": "PLAN", "title": "Plan the change"},
            {"key": "IMPL", "title": "Implement it", "depends_on": ["PLAN"]},
            {"key": "REVIEW", "title": "Review it", "depends_on": ["IMPL"]},
            {"key": "SIGN", "title": "Sign off", "agent_type": "human"},
        ],
    }
    plan.update(over)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    return path


def test_a_spent_plan_budget_claims_no_new_tasks(
    orch: Orchestrator, tmp_path: Path, db_url: str, capsys: Any
) -> None:
    orch.plans.load_file(plan_file(tmp_path))
    assert orch.queries.get_task("SIGN").command is None  # people's work gets no agent
    impl = orch.queries.get_task("IMPL").command
    assert impl is not None and impl.agent is not None and impl.agent.plan == "shop"
    serve(orch)
    # $0.0421 per run, told with the final result: IMPL crosses the plan's $0.08 as it
    # ends, its finished work is kept, and nothing new starts
    assert orch.queries.get_task("PLAN").status is S.DONE
    assert orch.queries.get_task("IMPL").status is S.DONE
    impl_run = orch.queries.runs_for("IMPL")[0]
    assert impl_run.status is RunStatus.SUCCEEDED
    said = [v.text for v in orch.queries.log_lines(impl_run.id, limit=1000)]
    assert (
        "! plan shop: budget exceeded: $0.0842 of $0.08 by the agent's final report: "
        "its finished work is kept; no further run can start"
    ) in said
    orch.tasks.reset("IMPL", "try again")
    serve(orch)
    assert orch.queries.runs_for("IMPL") == [impl_run]  # the plan claims no new tasks
    assert orch.queries.runs_for("REVIEW") == []
    assert orch.agent_runs.exhausted_plans() == {
        "shop": "plan shop: budget exceeded: $0.0842 of $0.08"
    }
    code, out, _ = cli_here(capsys, db_url, "stats")
    assert code == 0
    stopped = (
        "stopped    plan shop: budget exceeded: $0.0842 of $0.08 (plan shop claims no new tasks)"
    )
    assert stopped in out.splitlines()  # the plan named once in its reason
    spend = orch.agent_runs.spend()
    assert spend.total.runs == 2
    assert spend.total.cost_usd == pytest.approx(0.0842)
    assert [r.name for r in spend.by_profile] == ["fake"]


def test_raising_the_plan_budget_lets_its_tasks_run_again(
    orch: Orchestrator, tmp_path: Path
) -> None:
    orch.plans.load_file(plan_file(tmp_path, budget={"usd": 0.05}))
    serve(orch)
    assert orch.queries.get_task("IMPL").status is S.DONE  # crossed with its last word
    assert orch.agent_runs.exhausted_plans() != {}
    assert orch.queries.runs_for("REVIEW") == []
    orch.plans.load_file(plan_file(tmp_path, budget={"usd": 1.0}))
    assert orch.agent_runs.exhausted_plans() == {}
    serve(orch)
    assert orch.queries.get_task("REVIEW").status is S.DONE


@pytest.mark.parametrize(
    ("over", "message"),
    [
        (
            {"agent": {"profile": "nope"}},
            "plan.yaml: agent.profile: unknown agent profile 'nope'",
        ),
        (
            {"profiles": {"fake": {"argv": ["x", "{promt}"]}}},
            "plan.yaml: profiles.fake.argv: unknown placeholder {promt}",
        ),
        (
            {"profiles": {"command": {"argv": ["x", "{prompt}"]}}},
            "plan.yaml: profiles.command: `command` is reserved",
        ),
        (
            {"profiles": {"9 bad!": {"argv": ["x", "{prompt}"]}}},
            "plan.yaml: profiles.9 bad!: a name is a letter then letters, digits, - or _",
        ),
        (
            {"agent": {"profile": "claude", "template": "{{ secrets }}"}},
            "plan.yaml: agent.template: unknown template variable 'secrets'",
        ),
        (
            {"budget": {"usd": -1}},
            "plan.yaml: budget.usd: Input should be greater than 0",
        ),
        (
            {"tasks": [{"key": "A", "title": "a", "agent": {"profile": "codex", "modle": "x"}}]},
            "plan.yaml: tasks[0] (A).agent.modle: Extra inputs are not permitted",
        ),
    ],
)
def test_bad_agent_settings_name_the_file_and_field_and_write_nothing(
    orch: Orchestrator, tmp_path: Path, over: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        orch.plans.load_file(plan_file(tmp_path, **over))
    assert str(err.value).startswith(str(tmp_path / message))
    assert orch.dashboard.stats().total == 0


def test_the_readme_worked_plan_loads_as_documented(orch: Orchestrator, tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### A worked plan", 1)[1]
    text = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "login.yaml"
    path.write_text(text, encoding="utf-8")
    orch.plans.load_file(path)
    plan, impl, review = (orch.queries.get_task(k).command for k in ("PLAN", "IMPL", "REVIEW"))
    assert plan and plan.agent and (plan.agent.profile, plan.agent.model) == ("claude", "sonnet")
    assert impl and impl.agent and impl.agent.profile == "codex" and impl.agent.model is None
    assert impl.cwd == "~/src/shop" and impl.agent.budget and impl.agent.budget.usd == 1.0
    assert review and review.agent and review.agent.profile == "claude"
    assert review.agent.template and "{{ up.summary }}" in review.agent.template
    assert {plan.agent.plan, impl.agent.plan, review.agent.plan} == {"login-fix"}
    assert orch.queries.get_task("IMPL").requires_approval


def test_the_demo_carries_a_round_of_requested_changes_that_resumes(orch: Orchestrator) -> None:
    from orchestrator_tui.resources import resource_path

    orch.plans.load_file(resource_path("sample_data", "demo_plan.yaml"))
    (decision,) = orch.queries.approvals_for("PAY-20")
    assert decision.decision.value == "changes_requested" and decision.actor == "maria"
    (old,) = orch.queries.runs_for("PAY-20")
    assert old.session_id and old.cost_usd == pytest.approx(0.0792)
    task = orch.queries.get_task("PAY-20")
    start = orch.agent_runs.prepare(task.id, 2, None)
    assert start.resume_session == old.session_id
    assert start.context.review_comment == decision.comment
    assert start.context.change_rounds == 1


def test_an_agent_task_keeps_its_verify_gate(orch: Orchestrator, tmp_path: Path) -> None:
    path = plan_file(
        tmp_path,
        budget=None,
        tasks=[
            {"key": "V", "title": "checked", "agent": {"profile": "fake"}, "verify": [["false"]]},
            {"key": "W", "title": "default", "verify": [["true"]]},
        ],
    )
    orch.plans.load_file(path)
    # W names no agent: the plan's does it, and its verify gate stays.
    default = orch.queries.get_task("W").command
    assert default is not None and default.verify == [["true"]]
    assert default.agent is not None and default.agent.profile == "fake"
    orch.tasks.block("W", reason="only V runs here")
    command = orch.queries.get_task("V").command
    assert command is not None and command.verify == [["false"]]
    assert command.agent is not None and command.agent.definition is not None
    serve(orch)
    (run,) = orch.queries.runs_for("V")
    assert run.cost_usd == pytest.approx(0.0421)  # the agent worked and said so
    assert run.status.value == "failed" and "verify" in (run.error or "")
    assert orch.queries.get_task("V").status is not S.DONE


def test_an_unknown_profile_names_the_nearest_known_ones_at_every_door(
    orch: Orchestrator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan, `task add --agent` / MCP / the TUI's forms (`with_agent`), and a run
    (`resolve`) say it the same way, the user's own profiles counted."""
    from orchestrator_tui.agents.profiles import resolve
    from orchestrator_tui.domain.agent import AgentUse
    from orchestrator_tui.domain.models import TaskSpec
    from orchestrator_tui.services.agent_profiles import load_profiles, with_agent

    own = tmp_path / "agents.yaml"
    own.write_text("profiles:\n  reviewer:\n    argv: [rev, '{prompt}']\n    parser: plain\n")
    monkeypatch.setenv("ORCHESTRATOR_TUI_AGENTS", str(own))
    known = "(known: aider, claude, codex, command, gemini, opencode, reviewer, simulated)"
    with pytest.raises(ValidationFailed) as planned:
        orch.plans.load_file(plan_file(tmp_path, agent={"profile": "claude-opus"}))
    with pytest.raises(ValidationFailed) as added:
        with_agent(TaskSpec(title="x"), "reveiwer")
    with pytest.raises(ValidationFailed) as run:
        resolve(AgentUse(profile="Codex"), load_profiles())
    with pytest.raises(ValidationFailed) as far:
        with_agent(TaskSpec(title="x"), "zzz")
    assert str(planned.value) == (
        f"{tmp_path / 'plan.yaml'}: agent.profile: unknown agent profile 'claude-opus';"
        f" did you mean claude? {known.replace('command, ', 'command, fake, ')}"
    )
    assert str(added.value) == (
        f"agent.profile: unknown agent profile 'reveiwer'; did you mean reviewer? {known}"
    )
    assert str(run.value) == f"unknown agent profile 'Codex'; did you mean codex? {known}"
    assert str(far.value) == f"agent.profile: unknown agent profile 'zzz' {known}"
    assert orch.dashboard.stats().total == 0
