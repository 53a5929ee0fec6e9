"""The detail screen lists every run of the task, a plain command's included:
status, exit code and duration, newest last (the demo's PAY-15 failed twice)."""

from __future__ import annotations

from .conftest import add, open_detail, plan_path, screen_text, seed_plan, settle, started


async def test_detail_lists_a_plain_commands_runs(db_url, make):
    seed_plan(db_url)
    if plan_path().name != "demo_plan.yaml":
        raise AssertionError("the demo plan ships with the package")
    app = make()
    async with started(app, (160, 80)) as pilot:
        await open_detail(pilot, "PAY-15")
        await pilot.press("G")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        headings = [i for i, line in enumerate(lines) if line.strip() == "Runs"]
        assert headings, "a Runs section on the detail screen"
        start = headings[0]
        runs = [line for line in lines[start + 1 : start + 3] if "exit 1" in line]
        assert len(runs) == 2, lines[start : start + 4]
        assert all("failed" in line and "10m00s" in line for line in runs), runs


async def test_detail_says_what_stops_a_run(orch, make):
    command = {
        "argv": ["codex"],
        "cwd": "/src/shop",
        "timeout_seconds": 1800,
        "agent": {"profile": "codex", "budget": {"usd": 1.5, "tokens": 200000}},
    }
    add(orch, "IMPL", "Implement", command=command)
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "IMPL")
        lines = [line.strip() for line in screen_text(app).splitlines()]
        assert "timeout 1800s" in lines
        assert "budget $1.50, 200,000 tokens (all its runs together)" in lines
        assert "cwd /src/shop" in lines  # where it runs, as `task show` says


async def test_detail_says_the_agent_profiles_timeout_when_the_task_sets_none(
    orch, make, tmp_path, monkeypatch
):
    monkeypatch.delenv("ORCHESTRATOR_TUI_AGENTS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no agents.yaml of one's own
    add(orch, "IMPL", "Implement", command={"argv": ["codex"], "agent": {"profile": "codex"}})
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "IMPL")
        lines = [line.strip() for line in screen_text(app).splitlines()]
        assert "timeout 3600s (the agent profile's)" in lines


async def test_a_run_of_one_line_says_one_line(orch, make, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "tasks:\n  - key: E\n    title: echo\n    runs:\n"
        "      - {status: succeeded, exit_code: 0, started: -1h, ended: -1h, log: fetched}\n"
        '      - {status: succeeded, exit_code: 0, started: -1h, ended: -1h, log: "a\\nb"}\n'
    )
    orch.plans.load_file(plan)
    app = make()
    async with started(app, (160, 60)) as pilot:
        await open_detail(pilot, "E")
        await pilot.press("G")
        await settle(pilot)
        runs = [line for line in screen_text(app).splitlines() if "succeeded" in line]
        assert len(runs) == 2, runs
        assert "exit 0  succeeded  1 line" in runs[0] and "1 lines" not in runs[0]
        assert "exit 0  succeeded  2 lines" in runs[1]


async def test_detail_says_each_decision_in_words(orch, make):
    add(orch, "A", "Review me", requires_approval=True)
    bob = orch.as_actor("bob")
    bob.tasks.start("A")
    bob.tasks.complete("A")
    orch.approvals.request_changes("A", "more tests")
    app = make()
    async with started(app, (160, 80)) as pilot:
        await open_detail(pilot, "A")
        lines = [line.strip() for line in screen_text(app).splitlines()]
        start = lines.index("Approvals")
        assert lines[start + 1].endswith("  changes requested by setup: more tests"), lines
