"""A PostgreSQL server that goes away while `run` serves it, and comes back.

A connection cut in the middle of a read must not end the runner with a
traceback (the rollback after it once raised instead of the error it waits on).
The server is reached through a small TCP relay that the test can close (every
connection cut, new ones refused) and open again on the same port, as a restarted
server or a network that comes back looks to the runner."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy.engine import make_url

from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import open_orchestrator


class Relay:
    """127.0.0.1:port forwarding to the server; `down()` cuts it, `up()` restores it."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, []
        if listener is not None:
            # close() alone leaves a thread blocked in accept() accepting (Linux):
            # the runner's reconnection got through a relay said to be down.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._listener is not listener:  # accepted as it went down
                    client.close()
                    return
                server = socket.create_connection(self.target)
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_RDWR)


def _until(what: Callable[[], bool], seconds: float = 60, why: Callable[[], str] = str) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, f"timed out: {why()}"
        time.sleep(0.05)


@pytest.mark.postgres_only
def test_run_says_once_that_the_server_went_away_and_once_that_it_is_back(db_url: str) -> None:
    url = make_url(db_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    relay.up()
    via_relay = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    orch = open_orchestrator(db_url, "alice")
    orch.tasks.create(TaskSpec(key="A", title="before", command=CommandSpec(argv=["true"])))
    argv = ["--db", via_relay, "run", "--poll-seconds", "0.05", "--agent", "r1"]
    runner = subprocess.Popen(
        [sys.executable, "-m", "orchestrator_tui", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert runner.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(runner.stderr or ()), daemon=True)
    reader.start()

    def said(text: str) -> Callable[[], bool]:
        return lambda: any(text in line for line in list(lines))

    try:
        _until(lambda: orch.queries.get_task("A").status.value == "done")
        relay.down()
        _until(said("database unreachable"), why=lambda: "".join(lines))
        time.sleep(2)  # more rounds of the runner, and of the feed's retries
        orch.tasks.create(TaskSpec(key="B", title="after", command=CommandSpec(argv=["true"])))
        relay.up()
        _until(lambda: orch.queries.get_task("B").status.value == "done")
        _until(said("change feed: listening again"), why=lambda: "".join(lines))
    finally:
        runner.terminate()
        runner.wait(timeout=30)
        reader.join(timeout=30)
        relay.down()
        orch.close()
    lines = [line.rstrip("\n") for line in lines]
    err = "\n".join(lines)
    assert all(line.startswith("orchestrator-tui: ") for line in lines), err
    gone = [line for line in lines if "database unreachable, will retry until it is back: " in line]
    assert len(gone) == 1, err
    assert "***" in gone[0] or url.password is None  # the password stays masked
    assert sum("database reachable again" in line for line in lines) == 1, err
    assert sum("change feed:" in line and "polling" in line for line in lines) == 1, err
    assert sum("change feed: listening again" in line for line in lines) == 1, err
    assert not any("database busy" in line for line in lines), err
