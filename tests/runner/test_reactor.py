"""Many children watched by one reactor thread: each keeps its own lines, exit
code, timeout and stop, and a failing child's step ends that child alone."""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator

import pytest

from orchestrator_tui.runner.process import ProcessOutcome, Supervisor
from orchestrator_tui.runner.reactor import Reactor

from .helpers import alive

PY = sys.executable


@pytest.fixture
def reactor() -> Iterator[Reactor]:
    """A started reactor, closed after the test."""
    started = Reactor()
    started.start("test-reactor")
    yield started
    started.close(5)


class Ended:
    """The outcomes of `expected` children by name; `all` is set once each has one."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.outcomes: dict[str, ProcessOutcome] = {}
        self.all = threading.Event()
        self._lock = threading.Lock()

    def of(self, name: str) -> Callable[[ProcessOutcome], None]:
        """The done callback of the child called `name`."""

        def done(outcome: ProcessOutcome) -> None:
            with self._lock:
                self.outcomes[name] = outcome
                if len(self.outcomes) == self.expected:
                    self.all.set()

        return done


def _start_all(
    reactor: Reactor, commands: dict[str, list[str]], **kwargs: object
) -> tuple[dict[str, Supervisor], Ended, dict[str, list[str]]]:
    ended = Ended(len(commands))
    lines: dict[str, list[str]] = defaultdict(list)
    sups: dict[str, Supervisor] = {}
    for name, argv in commands.items():

        def sink(batch: list[tuple[object, str, object]], name: str = name) -> None:
            lines[name].extend(text for _, text, _ in batch)

        sups[name] = Supervisor(argv, sink=sink, **kwargs)  # type: ignore[arg-type]
        sups[name].start(reactor, ended.of(name))
    return sups, ended, lines


def test_one_thread_watches_many_children_each_with_its_own_lines_and_exit(
    reactor: Reactor,
) -> None:
    commands = {
        f"c{i}": [PY, "-c", f"import sys\nfor j in range(200): print('{i}', j)\nsys.exit({i})"]
        for i in range(6)
    }
    sups, ended, lines = _start_all(reactor, commands)
    assert ended.all.wait(30)
    watching = [t for t in threading.enumerate() if t.name == "test-reactor"]
    assert len(watching) == 1
    for i in range(6):
        out = ended.outcomes[f"c{i}"]
        assert out.exit_code == i
        assert lines[f"c{i}"] == [f"{i} {j}" for j in range(200)]
        assert out.line_count == 200
        assert sups[f"c{i}"].pid is not None


def test_a_stop_and_a_timeout_end_their_child_alone(reactor: Reactor) -> None:
    slow = [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    quick = [PY, "-c", "import time; time.sleep(1.5); print('finished')"]
    sups, ended, lines = _start_all(reactor, {"stopped": slow, "quick": quick}, kill_grace=0.5)
    timed = Supervisor(slow, sink=lambda _: None, timeout=0.5, kill_grace=0.3)
    timed_out = Ended(1)
    timed.start(reactor, timed_out.of("timed"))
    sups["stopped"].stop("asked to stop")
    assert timed_out.all.wait(20)
    assert timed_out.outcomes["timed"].timed_out
    assert timed_out.outcomes["timed"].exit_code == -15
    assert ended.all.wait(30)
    outcomes = ended.outcomes
    assert outcomes["stopped"].stopped == "asked to stop"
    assert outcomes["stopped"].exit_code == -15
    assert outcomes["quick"].exit_code == 0 and outcomes["quick"].stopped is None
    assert lines["quick"] == ["finished"]


def test_a_child_whose_sink_fails_ends_with_the_error_and_the_others_go_on(
    reactor: Reactor,
) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("sink broke")

    ended = Ended(2)
    talker = [PY, "-c", "import time; print('hi', flush=True); time.sleep(60)"]
    bad = Supervisor(talker, sink=broken, kill_grace=0.3)
    good = Supervisor([PY, "-c", "print('fine')"], sink=lambda _: None)
    bad.start(reactor, ended.of("bad"))
    good.start(reactor, ended.of("good"))
    assert ended.all.wait(20)
    done = ended.outcomes
    assert done["bad"].spawn_error == "runner error: sink broke"
    assert done["bad"].exit_code == -9  # killed, not left running
    assert done["good"].exit_code == 0


def test_a_child_that_cannot_start_is_reported_at_once() -> None:
    reactor = Reactor()  # never started: the outcome does not need it
    got: list[ProcessOutcome] = []
    Supervisor(["no-such-program-anywhere"], sink=lambda _: None).start(reactor, got.append)
    assert got and got[0].spawn_error is not None and got[0].exit_code is None
    reactor.close()


def test_held_back_lines_wait_in_the_pipe_while_deadlines_still_hold(reactor: Reactor) -> None:
    hold = threading.Event()
    hold.set()
    got: list[str] = []
    ended = Ended(2)
    chatty = [PY, "-c", "for i in range(50000): print(i)"]
    sleeper = [PY, "-c", "import time; time.sleep(60)"]
    talker = Supervisor(
        chatty, sink=lambda b: got.extend(t for _, t, _ in b), held_back=hold.is_set
    )
    late = Supervisor(sleeper, sink=lambda _: None, timeout=0.5, kill_grace=0.3)
    talker.start(reactor, ended.of("talker"))
    late.start(reactor, ended.of("late"))
    deadline = time.monotonic() + 20
    while "late" not in ended.outcomes and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ended.outcomes["late"].timed_out  # its timeout held while the other was held back
    assert "talker" not in ended.outcomes and len(got) < 50000  # blocked on its full pipe
    hold.clear()
    assert ended.all.wait(30)
    assert ended.outcomes["talker"].exit_code == 0
    assert got == [str(i) for i in range(50000)]


def test_a_broken_loop_kills_every_child_and_ends_each_with_one_line_why(
    monkeypatch: pytest.MonkeyPatch, reactor: Reactor
) -> None:
    sleeper = [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    sups, ended, lines = _start_all(reactor, {"a": sleeper, "b": sleeper})
    deadline = time.monotonic() + 20
    while len(lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(lines) == 2  # both run and are watched

    def broken(self: Reactor) -> bool:
        raise OSError("selector gone")

    monkeypatch.setattr(Reactor, "_drain", broken)
    reactor.poke()
    assert ended.all.wait(20)
    reason = "runner error: the reactor watching the children failed (OSError: selector gone)"
    for name in ("a", "b"):
        assert ended.outcomes[name].spawn_error == reason
        assert ended.outcomes[name].exit_code == -9  # killed, not left running
        assert not alive(sups[name].pid or 0)
    # A child handed over afterwards is failed at once, never left unwatched.
    late: list[ProcessOutcome] = []
    Supervisor(sleeper, sink=lambda _: None).start(reactor, late.append)
    assert late and late[0].spawn_error == reason and late[0].exit_code == -9
