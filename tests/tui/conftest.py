"""Fixtures for the TUI tests: databases in tmp_path, a fixed clock, a settle
helper that waits for every database worker to finish (the last two, with
`wait_until` and `main_screen`, shared with the benchmarks: benchmarks/app_driver.py),
and `started`, the app running with its first loads settled."""

from __future__ import annotations

import html
import re
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from benchmarks.app_driver import (  # noqa: F401  (re-exported to the tests)
    FIXED,
    fixed_clock,
    main_screen,
    settle,
    wait_until,
)
from orchestrator_tui.app import OrchestratorApp, make_app
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.resources import resource_path
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.store.tables import LogLine, Run, utcnow
from orchestrator_tui.ui.screens.detail import DetailScreen

SMALL_PLAN = Path(__file__).parent / "small_plan.yaml"
ACTOR = "alice"

HOSTILE_TITLES = [
    "[@click=app.quit]x",
    "[/]",
    "[bold red]x",
    "\x1b]52;c;aGVsbG8=\x07clip \x1b]0;title\x07\x1b[2J\x1b[Hmoved",
]


def plan_path() -> Path:
    """The demo plan when it ships, else the small plan kept with these tests."""
    try:
        demo = resource_path("sample_data", "demo_plan.yaml")
    except FileNotFoundError:
        return SMALL_PLAN
    return demo if demo.is_file() else SMALL_PLAN


def seed_plan(url: str) -> None:
    orch = open_orchestrator(url, "seed", clock=fixed_clock)
    orch.plans.load_file(plan_path())
    orch.close()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return str(tmp_path / "tui.db")


@pytest.fixture
def orch(db_url: str) -> Iterator[Orchestrator]:
    """The test's own connection (another writer, as far as the app knows)."""
    o = open_orchestrator(db_url, "setup", clock=fixed_clock)
    yield o
    o.close()


@pytest.fixture
def make(db_url: str) -> Callable[..., OrchestratorApp]:
    def build(**kwargs: object) -> OrchestratorApp:
        kwargs.setdefault("poll_interval", None)
        return make_app(db_url, kwargs.pop("actor", ACTOR), clock=fixed_clock, **kwargs)

    return build


#: The terminal most tests run the app in.
WIDE = (160, 48)


@asynccontextmanager
async def started(
    app: OrchestratorApp, size: tuple[int, int] = WIDE, **options: Any
) -> AsyncIterator[Pilot]:
    """`app` running in a `size` terminal (with `app.run_test`'s other `options`) and
    its first loads settled: how a test starts the app (a test of what shows before
    that uses `app.run_test` itself)."""
    async with app.run_test(size=size, **options) as pilot:
        await settle(pilot)
        yield pilot


def add(orch: Orchestrator, key: str, title: str | None = None, **fields: object) -> None:
    orch.tasks.create(TaskSpec(key=key, title=title or f"task {key}", **fields))


# -- runs and log lines written straight into the store tables, as a runner would --


def add_run(
    orch: Orchestrator,
    task_id: int,
    *,
    agent: str = "claude",
    status: str = "running",
    exit_code: int | None = None,
) -> int:
    start = utcnow() - timedelta(minutes=5)
    finished = status not in ("running", "queued")
    with orch.db.write() as conn:
        return conn.execute(
            Run.__table__.insert().values(
                execution_id=str(uuid.uuid4()),
                task_id=task_id,
                agent=agent,
                status=status,
                started_at=start,
                ended_at=start + timedelta(seconds=83) if finished else None,
                exit_code=exit_code,
                outputs={},
            )
        ).inserted_primary_key[0]


def add_lines(
    orch: Orchestrator, run_id: int, texts: Iterable[str], start: int = 0, stream: str = "stdout"
) -> int:
    """Append lines with seq from `start`; returns the next seq."""
    now = utcnow()
    rows = [
        {"run_id": run_id, "seq": start + i, "stream": stream, "text": t, "created_at": now}
        for i, t in enumerate(texts)
    ]
    with orch.db.write() as conn:
        for i in range(0, len(rows), 20_000):
            conn.execute(LogLine.__table__.insert(), rows[i : i + 20_000])
    return start + len(rows)


def add_chain(orch: Orchestrator, count: int) -> Orchestrator:
    """PAY-1 ... PAY-`count` ("payment step N"), each waiting for the one before."""
    for n in range(1, count + 1):
        add(orch, f"PAY-{n}", f"payment step {n}", depends_on=[f"PAY-{n - 1}"] if n > 1 else [])
    return orch


_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[^)]*-line-(\d+)\)">(.*?)</text>',
    flags=re.S,
)
CELL_WIDTH = 12.2  # Textual's SVG export: pixels per terminal cell


def screen_lines(app: OrchestratorApp) -> list[str]:
    """The visible screen as plain text lines (from an SVG screenshot)."""
    rows: dict[int, dict[int, str]] = {}
    for x, line, text in _TEXT.findall(app.export_screenshot()):
        column = round(float(x) / CELL_WIDTH)
        rows.setdefault(int(line), {})[column] = html.unescape(text).replace("\xa0", " ")
    out = []
    for line in range(max(rows, default=-1) + 1):
        chars: list[str] = []
        for column, text in sorted(rows.get(line, {}).items()):
            chars.extend(" " * (column - len(chars)))
            chars[column:] = list(text)
        out.append("".join(chars).rstrip())
    return out


def screen_text(app: OrchestratorApp) -> str:
    return "\n".join(screen_lines(app))


async def select(pilot: Pilot, key: str) -> None:
    """Put the task list's cursor on `key`."""
    screen = main_screen(pilot.app)
    screen.table.select_key(key)
    await settle(pilot)
    assert screen.table.cursor_key == key


def held(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, timeout: float = 30
) -> threading.Event:
    """Make every call of `owner.name` wait (up to `timeout` seconds) until the event
    returned is set: what happens while a read or a write is still on its way."""
    release = threading.Event()
    real = getattr(owner, name)

    def waiting(*args: Any, **kwargs: Any) -> Any:
        release.wait(timeout)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, waiting)
    return release


async def press_on(pilot: Pilot, key: str, *presses: str) -> None:
    """Put the task list's cursor on `key`, press `presses`, and let the app settle."""
    await select(pilot, key)
    await pilot.press(*presses)
    await settle(pilot)


async def open_detail(pilot: Pilot, key: str) -> DetailScreen:
    """Open `key`'s detail screen from the task list, as enter on its row does."""
    await select(pilot, key)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DetailScreen) and screen.key == key, screen
    return screen


def status(orch: Orchestrator, key: str) -> str:
    return orch.queries.get_task(key).status.value


def notes(app: OrchestratorApp) -> list[str]:
    """Messages of the notifications shown so far (Textual 8.2 keeps them here)."""
    return [n.message for n in app._notifications]
