"""`orchestrator-tui run` moves what is loaded out of the collector's generations,
collecting garbage first."""

from __future__ import annotations

import gc
import weakref

from orchestrator_tui.runner import freeze_loaded


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_what_lives_is_frozen_and_garbage_is_collected_first() -> None:
    garbage = Node()
    gone = weakref.ref(garbage)
    del garbage
    alive = Node()
    try:
        freeze_loaded()
        assert gone() is None  # collected, not kept forever in the frozen generation
        assert gc.get_freeze_count() > 0
        assert not any(o is alive for o in gc.get_objects())  # out of every generation
    finally:
        gc.unfreeze()
    assert any(o is alive for o in gc.get_objects())
