"""The TUI asks glibc for fewer malloc arenas, and does nothing where it cannot."""

from __future__ import annotations

import platform
import sys

import pytest

from orchestrator_tui.malloc import limit_malloc_arenas


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="glibc only",
)
def test_glibc_takes_the_limit() -> None:
    assert limit_malloc_arenas() is True


def test_elsewhere_nothing_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert limit_malloc_arenas() is False
