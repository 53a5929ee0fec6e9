"""For every state a task can be in, the TUI enables exactly the status, decision
and run keys that the services then accept: no key enabled that fails, none
disabled that would succeed."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.errors import OrchestratorError
from orchestrator_tui.domain.models import CommandSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.store.schema import backup_sqlite
from orchestrator_tui.store.tables import Task

from .conftest import add, fixed_clock, main_screen, settle, started

S = TaskStatus
T = Task.__table__.c

#: TUI action -> what the service is asked when the key is pressed.
SERVICE_CALLS: dict[str, Callable[[Orchestrator, str], object]] = {
    # the start key asks for a reason and forces when dependencies are open
    "start": lambda o, k: o.tasks.start(k, force=True, reason="needed now"),
    "done": lambda o, k: o.tasks.transition(k, S.DONE),
    "fail": lambda o, k: o.tasks.transition(k, S.FAILED),
    "block": lambda o, k: o.tasks.transition(k, S.BLOCKED),
    "reset": lambda o, k: o.tasks.transition(k, S.PENDING),
    "approve": lambda o, k: o.approvals.approve(k),
    "reject": lambda o, k: o.approvals.reject(k, "no"),
    "request_changes": lambda o, k: o.approvals.request_changes(k, "more"),
    "run_now": lambda o, k: o.runs.claim("tui-runner", 60, key=k),
    "cancel_run": lambda o, k: o.runs.cancel(k),
}


def _states(orch: Orchestrator) -> list[str]:
    """One task per state: every status, with and without a command, with and
    without an open blocker, and a task whose command a runner is running."""
    add(orch, "BLK", "an unfinished blocker")
    keys = []
    for status, command, blocked in itertools.product(S, (False, True), (False, True)):
        key = f"{status.value[:4].upper()}-{int(command)}{int(blocked)}"
        add(
            orch,
            key,
            command=CommandSpec(argv=["true"]) if command else None,
            depends_on=["BLK"] if blocked else [],
        )
        with orch.db.write() as conn:
            conn.execute(update(Task.__table__).where(T.key == key).values(status=status))
        keys.append(key)
    add(orch, "LEASED", command=CommandSpec(argv=["sleep", "60"]))
    orch.runs.claim("other-runner", 600, key="LEASED")
    return [*keys, "LEASED"]


def _accepted(db_file: Path, tmp_path: Path, action: str, keys: list[str]) -> dict[str, str | None]:
    """Ask the services, on a copy of the database, to do `action` to each task:
    None where it is accepted, else the service's refusal."""
    copy = tmp_path / f"{action}.db"
    source = open_orchestrator(str(db_file), "copier", clock=fixed_clock)
    backup_sqlite(source.db, copy)
    source.close()
    bob = open_orchestrator(str(copy), "bob", clock=fixed_clock)
    result = {}
    for key in keys:
        try:
            SERVICE_CALLS[action](bob, key)
            result[key] = None
        except OrchestratorError as exc:
            result[key] = str(exc)
    bob.close()
    return result


async def test_enabled_keys_are_exactly_what_the_services_accept(
    orch: Orchestrator, make: Callable[..., object], db_url: str, tmp_path: Path
) -> None:
    keys = _states(orch)
    app = make()
    enabled: dict[str, dict[str, bool]] = {a: {} for a in SERVICE_CALLS}
    reasons: dict[str, dict[str, str | None]] = {a: {} for a in SERVICE_CALLS}
    async with started(app) as pilot:  # type: ignore[arg-type]
        screen = main_screen(app)  # type: ignore[arg-type]
        for key in keys:
            screen.table.select_key(key)
            await settle(pilot)
            assert screen.table.cursor_key == key
            for action in SERVICE_CALLS:
                enabled[action][key] = screen.check_action(action, ()) is True
                reasons[action][key] = screen.refusal(action)
    mismatches = []
    for action in SERVICE_CALLS:
        refused = _accepted(Path(db_url), tmp_path, action, keys)
        for key in keys:
            accepted = refused[key] is None
            if (reasons[action][key] is None) != enabled[action][key]:
                mismatches.append(f"{action} on {key}: disabled without a reason, or vice versa")
            said, service = reasons[action][key], refused[key]
            # Open blockers: the service names them, the row only counts them.
            same_wait = f"{key} waits on" in str(said) and f"{key} waits on" in str(service)
            if not accepted and said != service and not same_wait:
                mismatches.append(
                    f"{action} on {key}: the key says {reasons[action][key]!r}, "
                    f"the service {refused[key]!r}"
                )
            if enabled[action][key] != accepted:
                mismatches.append(
                    f"{action} on {key}: key {'on' if enabled[action][key] else 'off'}, "
                    f"service {'accepts' if accepted else 'refuses'}"
                )
    assert mismatches == []
