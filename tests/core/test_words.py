"""One pluralising rule for every count the CLI and the TUI print."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.words import counted


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (0, "task", "0 tasks"),
        (1, "task", "1 task"),
        (2, "task", "2 tasks"),
        (1, "dependency", "1 dependency"),
        (4, "dependency", "4 dependencies"),
        (2, "day", "2 days"),
        (3, "match", "3 matches"),
        (1, "run", "1 run"),
    ],
)
def test_counted(n, noun, expected):
    assert counted(n, noun) == expected


def test_irregular_plural():
    assert counted(2, "log line", "log lines") == "2 log lines"
    assert counted(1, "log line", "log lines") == "1 log line"


def test_a_refusal_counts_one_blocker_in_the_singular():
    from orchestrator_tui.domain.enums import TaskStatus
    from orchestrator_tui.domain.rules import run_refusal

    one = run_refusal("PAY-3", TaskStatus.PENDING, has_command=True, open_blockers=1)
    two = run_refusal("PAY-3", TaskStatus.PENDING, has_command=True, open_blockers=2)
    assert one == "PAY-3 waits on 1 unfinished blocking dependency"
    assert two == "PAY-3 waits on 2 unfinished blocking dependencies"
