"""The dashboard's ages ("♥ 12s ago") are drawn again when they read differently,
and only then: each second under a minute, each minute under an hour, and not at
all when no agent has a heartbeat to age (a TUI at rest does not wake for them)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator_tui.ui.widgets.dashboard import Dashboard, next_age_change

from .conftest import FIXED, add, main_screen, started


@pytest.mark.parametrize(
    ("seconds", "until"),
    [
        (0.0, 1.0),
        (12.25, 0.75),
        (59.5, 0.5),  # turns stale at a minute, and reads 1m
        (60.0, 60.0),
        (61.5, 58.5),
        (3599.0, 1.0),
        (3600.0, 3600.0),
        (7300.0, 3500.0),
        (90000.0, 82800.0),
    ],
)
def test_an_age_changes_when_its_text_does(seconds, until):
    assert next_age_change(seconds) == pytest.approx(until)


async def test_without_agents_the_dashboard_does_not_tick(orch, make, monkeypatch):
    add(orch, "A", "alpha")
    ticks: list[int] = []
    real = Dashboard._tick
    monkeypatch.setattr(Dashboard, "_tick", lambda self: ticks.append(1) or real(self))
    app = make()
    async with started(app) as pilot:
        assert "agents (0)" in str(main_screen(app).dashboard.query_one("#dash-agents").render())
        await pilot.pause(1.5)
        assert ticks == []


async def test_a_minute_old_heartbeat_ticks_each_minute_not_each_second(orch, make, monkeypatch):
    orch.agents.register("ada")
    now = [FIXED + timedelta(seconds=90)]
    ticks: list[int] = []
    real = Dashboard._tick
    monkeypatch.setattr(Dashboard, "_tick", lambda self: ticks.append(1) or real(self))
    app = make()
    app.clock = lambda: now[0]
    async with started(app) as pilot:
        agents = main_screen(app).dashboard.query_one("#dash-agents")
        assert "♥ 1m ago" in str(agents.render())
        await pilot.pause(1.5)
        assert ticks == []
