"""Many children watched by one reactor thread: each keeps its own lines, exit
code, timeout and stop, and a failing child's step ends that child alone."""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict

import pytest

from orchestrator_tui.runner.process import ProcessOutcome, Supervisor
from orchestrator_tui.runner.reactor import Reactor

from .helpers import alive

PY = sys.executable


def _start_all(
    reactor: Reactor, commands: dict[str, list[str]], **kwargs: object
) -> tuple[dict[str, Supervisor], dict[str, ProcessOutcome], dict[str, list[str]], threading.Event]:
    outcomes: dict[str, ProcessOutcome] = {}
    lines: dict[str, list[str]] = defaultdict(list)
    all_done = threading.Event()
    lock = threading.Lock()
    sups: dict[str, Supervisor] = {}
    for name, argv in commands.items():

        def sink(batch: list[tuple[object, str, object]], name: str = name) -> None:
            lines[name].extend(text for _, text, _ in batch)

        def done(outcome: ProcessOutcome, name: str = name) -> None:
            with lock:
                outcomes[name] = outcome
                if len(outcomes) == len(commands):
                    all_done.set()

        sups[name] = Supervisor(argv, sink=sink, **kwargs)  # type: ignore[arg-type]
        sups[name].start(reactor, done)
    return sups, outcomes, lines, all_done


def test_one_thread_watches_many_children_each_with_its_own_lines_and_exit() -> None:
    reactor = Reactor()
    reactor.start("test-reactor")
    try:
        commands = {
            f"c{i}": [PY, "-c", f"import sys\nfor j in range(200): print('{i}', j)\nsys.exit({i})"]
            for i in range(6)
        }
        sups, outcomes, lines, all_done = _start_all(reactor, commands)
        assert all_done.wait(30)
        watching = [t for t in threading.enumerate() if t.name == "test-reactor"]
        assert len(watching) == 1
        for i in range(6):
            out = outcomes[f"c{i}"]
            assert out.exit_code == i
            assert lines[f"c{i}"] == [f"{i} {j}" for j in range(200)]
            assert out.line_count == 200
            assert sups[f"c{i}"].pid is not None
    finally:
        reactor.close(5)


def test_a_stop_and_a_timeout_end_their_child_alone() -> None:
    reactor = Reactor()
    reactor.start()
    try:
        slow = [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"]
        quick = [PY, "-c", "import time; time.sleep(1.5); print('finished')"]
        sups, outcomes, lines, all_done = _start_all(
            reactor, {"stopped": slow, "quick": quick}, kill_grace=0.5
        )
        timed = Supervisor(slow, sink=lambda _: None, timeout=0.5, kill_grace=0.3)
        ended = threading.Event()
        timed_out: list[ProcessOutcome] = []
        timed.start(reactor, lambda out: (timed_out.append(out), ended.set()))
        sups["stopped"].stop("asked to stop")
        assert ended.wait(20)
        assert timed_out[0].timed_out and timed_out[0].exit_code == -15
        assert all_done.wait(30)
        assert outcomes["stopped"].stopped == "asked to stop"
        assert outcomes["stopped"].exit_code == -15
        assert outcomes["quick"].exit_code == 0 and outcomes["quick"].stopped is None
        assert lines["quick"] == ["finished"]
    finally:
        reactor.close(5)


def test_a_child_whose_sink_fails_ends_with_the_error_and_the_others_go_on() -> None:
    reactor = Reactor()
    reactor.start()
    try:
        done: dict[str, ProcessOutcome] = {}
        both = threading.Event()

        def keep(name: str) -> object:
            def on_done(out: ProcessOutcome) -> None:
                done[name] = out
                if len(done) == 2:
                    both.set()

            return on_done

        def broken(_: object) -> None:
            raise RuntimeError("sink broke")

        talker = [PY, "-c", "import time; print('hi', flush=True); time.sleep(60)"]
        bad = Supervisor(talker, sink=broken, kill_grace=0.3)
        good = Supervisor([PY, "-c", "print('fine')"], sink=lambda _: None)
        bad.start(reactor, keep("bad"))  # type: ignore[arg-type]
        good.start(reactor, keep("good"))  # type: ignore[arg-type]
        assert both.wait(20)
        assert done["bad"].spawn_error == "runner error: sink broke"
        assert done["bad"].exit_code == -9  # killed, not left running
        assert done["good"].exit_code == 0
    finally:
        reactor.close(5)


def test_a_child_that_cannot_start_is_reported_at_once() -> None:
    reactor = Reactor()  # never started: the outcome does not need it
    got: list[ProcessOutcome] = []
    Supervisor(["no-such-program-anywhere"], sink=lambda _: None).start(reactor, got.append)
    assert got and got[0].spawn_error is not None and got[0].exit_code is None
    reactor.close()


def test_held_back_lines_wait_in_the_pipe_while_deadlines_still_hold() -> None:
    reactor = Reactor()
    reactor.start()
    try:
        hold = threading.Event()
        hold.set()
        got: list[str] = []
        ended: dict[str, ProcessOutcome] = {}
        both = threading.Event()

        def keep(name: str) -> object:
            def on_done(out: ProcessOutcome) -> None:
                ended[name] = out
                if len(ended) == 2:
                    both.set()

            return on_done

        chatty = [PY, "-c", "for i in range(50000): print(i)"]
        sleeper = [PY, "-c", "import time; time.sleep(60)"]
        talker = Supervisor(
            chatty, sink=lambda b: got.extend(t for _, t, _ in b), held_back=hold.is_set
        )
        late = Supervisor(sleeper, sink=lambda _: None, timeout=0.5, kill_grace=0.3)
        talker.start(reactor, keep("talker"))  # type: ignore[arg-type]
        late.start(reactor, keep("late"))  # type: ignore[arg-type]
        deadline = time.monotonic() + 20
        while "late" not in ended and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ended["late"].timed_out  # its timeout held while the other was held back
        assert "talker" not in ended and len(got) < 50000  # blocked on its full pipe
        hold.clear()
        assert both.wait(30)
        assert ended["talker"].exit_code == 0
        assert got == [str(i) for i in range(50000)]
    finally:
        reactor.close(5)


def test_a_broken_loop_kills_every_child_and_ends_each_with_one_line_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reactor = Reactor()
    reactor.start()
    try:
        sleeper = [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"]
        sups, outcomes, lines, all_done = _start_all(reactor, {"a": sleeper, "b": sleeper})
        deadline = time.monotonic() + 20
        while len(lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(lines) == 2  # both run and are watched

        def broken(self: Reactor) -> bool:
            raise OSError("selector gone")

        monkeypatch.setattr(Reactor, "_drain", broken)
        reactor.poke()
        assert all_done.wait(20)
        reason = "runner error: the reactor watching the children failed (OSError: selector gone)"
        for name in ("a", "b"):
            assert outcomes[name].spawn_error == reason
            assert outcomes[name].exit_code == -9  # killed, not left running
            assert not alive(sups[name].pid or 0)
        # A child handed over afterwards is failed at once, never left unwatched.
        late: list[ProcessOutcome] = []
        Supervisor(sleeper, sink=lambda _: None).start(reactor, late.append)
        assert late and late[0].spawn_error == reason and late[0].exit_code == -9
    finally:
        reactor.close(5)
