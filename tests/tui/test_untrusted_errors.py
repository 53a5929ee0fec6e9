"""Error texts and agent names come from files and processes: no escape reaches
the terminal through a notification or the run list."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator_tui.domain.enums import RunStatus
from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.domain.models import EventView, RunView
from orchestrator_tui.ui.messages import DbFailed
from orchestrator_tui.ui.render import describe_run, event_line

HOSTILE = "bad \x1b]52;c;aGVsbG8=\x07clip \x1b]0;title\x07\x1b[2J here"


def test_a_refusal_quoting_a_file_shows_no_escape() -> None:
    text = DbFailed(ValidationFailed(f"plan.yaml: tasks[0]: {HOSTILE}")).text
    assert "\x1b" not in text and "\x07" not in text
    assert text.startswith("plan.yaml: tasks[0]: bad") and text.endswith("here")
    assert "\x1b" not in DbFailed(RuntimeError(HOSTILE)).text


def test_an_agent_name_in_the_run_list_shows_no_escape() -> None:
    run = RunView(
        id=1,
        execution_id="e",
        task_key="T-1",
        agent=HOSTILE,
        attempt=1,
        status=RunStatus.FAILED,
        started_at=datetime(2025, 1, 1, tzinfo=UTC),
        ended_at=None,
        exit_code=1,
        outputs={},
        outputs_uri=None,
        error=None,
        log_excerpt=None,
        line_count=0,
    )
    plain = describe_run(run).plain
    assert "\x1b" not in plain and "\x07" not in plain and "bad" in plain


def test_an_event_line_names_its_actor_unless_no_one_acted() -> None:
    """A plan's task created awaiting approval was submitted by no one: its
    request's line ends with the sentence, not with empty brackets."""
    at = datetime(2025, 1, 1, tzinfo=UTC)

    def line(actor: str) -> str:
        event = EventView(
            id=1, created_at=at, actor=actor, kind="approval_requested", task_key="G", data={}
        )
        return event_line(event, "10:00", 80).plain

    assert line("ann") == "10:00 waits for approval (ann)"
    assert line("") == "10:00 waits for approval"
