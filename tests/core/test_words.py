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
