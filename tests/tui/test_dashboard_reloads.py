"""The dashboard counts again only when a change may move its counts: a note, a
question or an agent's usage reads the agents, the recent events and the spend
again, and keeps the counts and the critical path (a second of CPU at 100k
tasks, on the interpreter the keys share)."""

from __future__ import annotations

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.services.dashboard import DashboardService

from .conftest import add, main_screen, screen_text, settle, started

S = TaskStatus


async def test_a_note_shows_in_the_events_without_counting_again(orch, make, monkeypatch):
    add(orch, "A", "alpha")
    add(orch, "B", "bravo", depends_on=["A"])
    counted: list[str] = []
    real = DashboardService.stats

    def stats(self, critical=None):
        counted.append("stats")
        return real(self, critical)

    monkeypatch.setattr(DashboardService, "stats", stats)
    app = make()
    async with started(app) as pilot:
        dashboard = main_screen(app).dashboard
        assert counted == ["stats"]
        before = dashboard.stats

        orch.collab.note("A", "remember the milk")
        app.poke_feed()
        await settle(pilot)
        assert counted == ["stats"]
        assert dashboard.stats.recent_events[0].kind == "note"
        assert dashboard.stats.recent_events != before.recent_events
        assert dashboard.stats.by_status == before.by_status
        assert dashboard.stats.critical_path == before.critical_path == ["A", "B"]

        orch.tasks.start("A")
        app.poke_feed()
        await settle(pilot)
        assert counted == ["stats", "stats"]
        assert dashboard.stats.by_status[S.IN_PROGRESS] == 1
        assert "2 tasks  ready 0  waiting 1" in screen_text(app)


async def test_a_count_asked_for_is_not_lost_to_a_later_note(orch, make):
    """A change that counts, then one that does not, asked for before the first is
    read: the counts are read again."""
    add(orch, "A", "alpha")
    app = make()
    async with started(app) as pilot:
        dashboard = main_screen(app).dashboard
        orch.tasks.start("A")
        orch.collab.note("A", "started it")
        dashboard.reload(fields=frozenset({"status"}))
        dashboard.reload(fields=frozenset())
        await settle(pilot)
        assert dashboard.stats.by_status[S.IN_PROGRESS] == 1
        assert dashboard.stats.recent_events[0].kind == "note"
