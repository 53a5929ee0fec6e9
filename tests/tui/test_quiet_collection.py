"""Garbage is collected once the keys are quiet, not while a key is on its way, and
the interpreter's own collection comes back when the app ends."""

from __future__ import annotations

import gc
import sys
import time
import weakref

import pytest

import orchestrator_tui.ui.quiet_collection as quiet
from orchestrator_tui.ui.quiet_collection import (
    OLD_QUIET_SECONDS,
    QUIET_SECONDS,
    REST_SECONDS,
    VALVE_FACTOR,
    QuietCollection,
)

from .conftest import add, started, wait_until


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only a collection frees it


def cyclic_garbage(count: int) -> list[weakref.ref[Node]]:
    return [weakref.ref(Node()) for _ in range(count)]


@pytest.fixture
def collection():
    gc.collect()
    collection = QuietCollection()
    collection.start()
    yield collection
    collection.stop()


def test_garbage_waits_until_no_key_has_come_for_a_while(collection, monkeypatch):
    now = 1000.0
    monkeypatch.setattr(quiet, "monotonic", lambda: now)
    young = collection.thresholds[0]
    garbage = cyclic_garbage(young)  # over the interpreter's own first threshold
    collection.key_pressed()
    now += QUIET_SECONDS / 2
    assert collection.look() is None
    assert all(ref() is not None for ref in garbage), "collected while a key was recent"
    now += QUIET_SECONDS
    assert collection.look() is not None
    assert all(ref() is None for ref in garbage)


def test_a_whole_collection_waits_longer(collection, monkeypatch):
    now = 1000.0
    monkeypatch.setattr(quiet, "monotonic", lambda: now)
    young, middle, old = collection.thresholds
    collected: list[int] = []
    monkeypatch.setattr(quiet.gc, "collect", collected.append)
    monkeypatch.setattr(quiet.gc, "get_count", lambda: (young + 1, middle + 1, old + 1))
    collection.key_pressed()
    now += QUIET_SECONDS
    assert collection.look() == 1  # the middle generation meanwhile
    now = collection.last_key + OLD_QUIET_SECONDS
    assert collection.look() == 2
    assert collected == [1, 2]


def test_a_change_from_elsewhere_waits_as_a_key_does(collection, monkeypatch):
    now = 1000.0
    monkeypatch.setattr(quiet, "monotonic", lambda: now)
    garbage = cyclic_garbage(collection.thresholds[0])
    collection.key_pressed()
    now += REST_SECONDS  # the keys are long quiet when a change comes from elsewhere
    collection.stir()
    assert collection.look() is None
    assert all(ref() is not None for ref in garbage), "collected as the change came"
    now += QUIET_SECONDS
    assert collection.look() is not None
    assert all(ref() is None for ref in garbage)


def test_a_whole_collection_waits_longer_after_a_change_too(collection, monkeypatch):
    now = 1000.0
    monkeypatch.setattr(quiet, "monotonic", lambda: now)
    young, middle, old = collection.thresholds
    collected: list[int] = []
    monkeypatch.setattr(quiet.gc, "collect", collected.append)
    monkeypatch.setattr(quiet.gc, "get_count", lambda: (young + 1, middle + 1, old + 1))
    collection.key_pressed()
    now += REST_SECONDS
    collection.stir()
    now += QUIET_SECONDS
    assert collection.look() == 1  # not the whole collection, a moment after the change
    now = collection.last_stir + OLD_QUIET_SECONDS
    assert collection.look() == 2
    assert collected == [1, 2]


def test_the_interpreter_still_collects_past_the_valve(collection):
    garbage = cyclic_garbage(collection.thresholds[0] * VALVE_FACTOR * 2)
    assert any(ref() is None for ref in garbage)


def test_the_start_counts_as_a_key(monkeypatch):
    monkeypatch.setattr(quiet, "monotonic", lambda: 1000.0)
    collection = QuietCollection()
    collection.start()
    try:
        assert collection.last_key == 1000.0
    finally:
        collection.stop()


def test_nothing_is_collected_while_little_has_piled_up(collection, monkeypatch):
    monkeypatch.setattr(quiet, "monotonic", lambda: 1000.0)
    gc.collect()
    garbage = cyclic_garbage(10)
    assert collection.look() is None
    assert all(ref() is not None for ref in garbage)


def test_stop_gives_the_interpreter_its_thresholds_back():
    before = gc.get_threshold()
    collection = QuietCollection()
    collection.start()
    assert gc.get_threshold()[0] == before[0] * VALVE_FACTOR
    collection.stop()
    assert gc.get_threshold() == before


async def test_the_app_collects_between_keys_once_the_database_is_open(make, orch):
    add(orch, "PAY-1")
    before, switch = gc.get_threshold(), sys.getswitchinterval()
    app = make(freeze_gc=True)
    try:
        async with started(app, (80, 24)) as pilot:
            assert app.collection.started
            assert gc.get_threshold()[0] == before[0] * VALVE_FACTOR
            await pilot.press("j")
            assert app.collection.last_key > 0
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        sys.setswitchinterval(switch)


def test_it_rests_once_nothing_happened_for_a_while_and_nothing_is_left(collection, monkeypatch):
    now = 1000.0
    monkeypatch.setattr(quiet, "monotonic", lambda: now)
    young = collection.thresholds[0]
    collection.key_pressed()
    now += REST_SECONDS / 2
    assert not collection.resting()
    now += REST_SECONDS
    gc.collect()
    assert collection.resting()
    collection.stir()  # a change from elsewhere: its reloads leave garbage
    assert not collection.resting()
    now += REST_SECONDS
    garbage = cyclic_garbage(young * 2)  # still to collect: the looks go on
    assert not collection.resting()
    assert collection.look() is not None
    assert all(ref() is None for ref in garbage)
    assert collection.resting()


async def test_the_app_stops_looking_at_rest_and_looks_again_after_a_key(make, orch, monkeypatch):
    add(orch, "PAY-1")
    monkeypatch.setattr(quiet, "REST_SECONDS", 0.3)
    before, switch = gc.get_threshold(), sys.getswitchinterval()
    app = make(freeze_gc=True)
    looks: list[float] = []
    look = app.collection.look
    monkeypatch.setattr(app.collection, "look", lambda: looks.append(time.monotonic()) or look())
    try:
        async with started(app, (80, 24)) as pilot:
            await wait_until(pilot, lambda: looks, "the looks")  # once the database is open
            await wait_until(pilot, lambda: time.monotonic() - looks[-1] > 1.0, "the looks to stop")
            resting = len(looks)
            await pilot.pause(1.0)  # ten looks, were they still looking
            assert len(looks) == resting, "looked while the app rested"
            await pilot.press("j")
            await wait_until(pilot, lambda: len(looks) > resting, "a look after the key")
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        sys.setswitchinterval(switch)
