"""An event reads as one sentence wherever it is shown: the sentence names what
happened, so no kind label stands in front of it ("rejected rejected")."""

from __future__ import annotations

from orchestrator_tui.domain.enums import TaskStatus

from .conftest import add, open_detail, screen_text, settle, started

REPEATS = ("rejected rejected", "created created", "R created R", "reverted undid")


def _rejected_task(orch) -> None:
    add(orch, "R", "review me", status=TaskStatus.IN_PROGRESS, requires_approval=True)
    orch.tasks.complete("R")
    orch.approvals.reject("R", "tests red")


async def test_dashboard_events_read_once(orch, make):
    _rejected_task(orch)
    app = make()
    async with started(app) as pilot:
        await pilot.press("4", "G")
        await settle(pilot)
        text = screen_text(app)
        assert "R rejected, now failed: tests red (setup)" in text
        assert "R created: review me (setup)" in text
        assert not [r for r in REPEATS if r in text], text


async def test_detail_timeline_reads_once(orch, make):
    _rejected_task(orch)
    app = make()
    async with started(app) as pilot:
        await open_detail(pilot, "R")
        text = screen_text(app)
        assert "rejected, now failed: tests red (setup)" in text
        assert "created: review me (setup)" in text
        assert not [r for r in REPEATS if r in text], text
