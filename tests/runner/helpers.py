"""Helpers for runner tests: fast runner settings, a local webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from orchestrator_tui.runner import RunnerConfig
from orchestrator_tui.services.runs import RetryPolicy
from orchestrator_tui.store.engine import Database
from orchestrator_tui.store.schema import recreate

from ..cli.support import Result, run_in_process


def alive(pid: int) -> bool:
    """Whether `pid` runs (neither gone nor a zombie), read from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def reset_elsewhere(db_url: str) -> None:
    """`db reset --yes` as another process does it (a connection of its own)."""
    db = Database(db_url)
    try:
        recreate(db)
    finally:
        db.dispose()


def fast_config(**kw: Any) -> RunnerConfig:
    """Short leases, polls and backoffs so tests take fractions of a second."""
    values: dict[str, Any] = {
        "agent": "test-runner",
        "until_idle": True,
        "poll_seconds": 0.05,
        "lease_seconds": 5.0,
        "retry": RetryPolicy(0.05, 0.1),
        "kill_grace_seconds": 0.3,
        "flush_seconds": 0.05,
    }
    values.update(kw)
    return RunnerConfig(**values)


def cli(db_url: str, *args: str, actor: str = "alice") -> Result:
    """The CLI's entry point called in this process (on the main thread): code, out, err."""
    return run_in_process(["--db", db_url, "--as", actor, *args])


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """The first true value of `condition()` (checked every 20 ms); fail, naming
    `what`, after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} not met within {timeout:g}s")


class Receiver:
    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        received = self.payloads

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
