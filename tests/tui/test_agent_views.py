"""What the TUI shows of coding agents: the header says why nothing new starts,
the detail screen shows tokens, cost, change rounds and the prompt, the run list
shows each run's spend."""

from __future__ import annotations

import yaml

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.ui.render import describe_run

from ..agents.helpers import FAKE, PY, add_agent_task, serve
from .conftest import ACTOR, main_screen, screen_text, settle, started, wait_until


async def test_header_says_a_spent_plan_budget_keeps_the_runner_idle(orch, make, tmp_path):
    plan = {
        "name": "shop",
        "profiles": {"fake": {"argv": [PY, FAKE, "--", "{prompt}"], "parser": "claude"}},
        "agent": "fake",
        "budget": {"usd": 0.01},
        "tasks": [{"key": "A", "title": "first"}, {"key": "B", "title": "second"}],
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    orch.plans.load_file(path)
    serve(orch, max_parallel=1)
    app = make()
    async with started(app, (200, 48)):
        assert "idle: plan shop: budget exceeded: $0.0421 of $0.01" in screen_text(app)
    # At 80 columns the reason gives way: the counts stay in sight.
    orch.tasks.create(TaskSpec(key="GATE", title="gate", requires_approval=True))
    orch.tasks.start("GATE")
    orch.tasks.complete("GATE")
    orch.as_actor("bot").questions.ask("GATE", "Which one?")
    app = make(poll_interval=0.1)
    async with started(app, (80, 24)) as pilot:
        await wait_until(pilot, lambda: app.open_questions == 1, "the question count")
        await pilot.pause(0.3)
        header = screen_text(app).splitlines()[0]
        assert "○ runner off · budget spent" in header, header
        assert "◆ 1 awaiting" in header and "? 1 to answer" in header, header
        assert f"as {ACTOR}" in header, header


async def test_detail_screen_shows_the_agent_runs_spend_and_prompt(orch, make):
    add_agent_task(orch, "A", "claude", description="[@click=app.quit]careful[/]")
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert "fake-claude 2,900 tok $0.0421" in describe_run(run).plain
    app = make()
    async with started(app, (160, 60)) as pilot:
        main_screen(app).table.select_key("A")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "Agent runs" in text
        assert "agent fake-claude, args --scenario ok" in text  # which agent, not its program
        assert "1 run · 2,900 tokens (300 cached) · $0.0421 · 0 change rounds" in text
        assert "summary Fixed the parser; tests pass." in text
        assert "You are working on task A: task A" in text
        assert "[@click=app.quit]careful[/]" in text  # shown literally, not as markup
