"""Every event kind reads as a sentence: no Python dicts, lists or reprs."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.enums import EventKind
from orchestrator_tui.domain.event_text import SENTENCES, event_sentence

CASES = [
    (
        "status_changed",
        {"from": "pending", "to": "in_progress", "reason": "run 8"},
        "moved from pending to in progress (run 8)",
    ),
    (
        "forced_start",
        {"from": "pending", "to": "in_progress", "unfinished": ["A", "B"], "reason": "hotfix"},
        "forced from pending to in progress although A, B unfinished (hotfix)",
    ),
    (
        "status_reverted",
        {"from": "blocked", "to": "pending", "reverts": 7},
        "undid a change: back from blocked to pending",
    ),
    ("approved", {"from": "awaiting_approval", "to": "done"}, "approved, now done"),
    ("task_created", {"key": "WS-3", "title": "Shout"}, "created: Shout"),
    (
        "rejected",
        {"from": "awaiting_approval", "to": "failed", "comment": "tests red"},
        "rejected, now failed: tests red",
    ),
    (
        "task_edited",
        {
            "before": {"requires_approval": False, "title": "a"},
            "after": {"requires_approval": True, "title": "b"},
        },
        "changed requires approval from no to yes; title from 'a' to 'b'",
    ),
    (
        "task_edited",
        {"origin": "plan.yaml", "changed": ["priority", "title"]},
        "changed priority, title (from plan.yaml)",
    ),
    ("dependency_added", {"on": "PAY-2", "type": "blocks"}, "now waits for PAY-2"),
    ("dependency_added", {"on": ["PAY-2", "PAY-3"], "origin": "x"}, "now waits for PAY-2, PAY-3"),
    ("unblocked", {"by": "PAY-2", "message": "PAY-2 done"}, "ready: PAY-2 done"),
    ("progress", {"percent": 40, "message": "halfway"}, "progress 40%: halfway"),
    (
        "feedback",
        {"quality": 4, "timeliness": 5, "message": ""},
        "rated quality 4/5, timeliness 5/5",
    ),
    (
        "plan_imported",
        {"name": "Payments", "added": 40, "changed": 0, "unchanged": 0},
        "imported Payments: 40 added, 0 changed, 0 unchanged",
    ),
    (
        "run_finished",
        {"message": "run 8 succeeded (exit 0)", "status": "succeeded"},
        "run 8 succeeded (exit 0)",
    ),
    ("something_new", {"a_b": {"c": 1}, "d": [1, 2]}, "a b c 1, d 1, 2"),
]


@pytest.mark.parametrize(("kind", "data", "expected"), CASES)
def test_event_sentences(kind, data, expected):
    assert event_sentence(kind, data) == expected


def test_every_kind_we_write_has_a_sentence():
    with_message = {"run_started", "run_finished", "run_lost", "database_seeded", "task_deleted"}
    missing = {k.value for k in EventKind} - set(SENTENCES) - with_message
    assert not missing
    for kind in EventKind:
        text = event_sentence(kind.value, {"before": {"x": 1}, "after": {"x": 2}})
        assert "{" not in text and "[" not in text and "'x'" not in text, (kind, text)


def test_how_a_run_ended_reads_as_words_and_says_its_exit_code_once() -> None:
    from orchestrator_tui.domain.enums import RunStatus
    from orchestrator_tui.domain.rules import run_ended_text

    assert run_ended_text(7, RunStatus.TIMED_OUT, None) == "run 7 timed out"
    assert run_ended_text(7, RunStatus.FAILED, 1, "exit code 1") == "run 7 failed (exit 1)"
    assert run_ended_text(7, RunStatus.FAILED, 1, "Not logged in") == (
        "run 7 failed (exit 1): Not logged in"
    )
    assert run_ended_text(7, RunStatus.FAILED, 1, "exit code 1: Not logged in") == (
        "run 7 failed (exit 1): Not logged in"  # an agent's reason, led by its exit code
    )
    assert run_ended_text(7, RunStatus.FAILED, 2, "exit code 1") == (
        "run 7 failed (exit 2): exit code 1"  # not the code it ended with: said as it is
    )
    # a reason that opens by saying how the run ended does not follow it being said
    assert run_ended_text(7, RunStatus.TIMED_OUT, None, "timed out after 3600s") == (
        "run 7 timed out after 3600s"
    )
    assert run_ended_text(7, RunStatus.TIMED_OUT, -15, "timed out after 3600s") == (
        "run 7 timed out after 3600s (exit -15)"
    )
    assert run_ended_text(7, RunStatus.FAILED, 1, "failedover refused") == (
        "run 7 failed (exit 1): failedover refused"
    )
