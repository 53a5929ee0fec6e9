"""`task show --json` from plain rows (no pydantic) writes exactly what the views
write: a rich task, byte for byte, and a command the plain read cannot vouch for
goes to the models."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from unittest import mock

import pytest

from orchestrator_tui.domain.plan import PlanSpec
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.store.quick_reads import GiveUp, open_reads

from .conftest import Cli
from .support import Result, run_in_process

pytestmark = pytest.mark.sqlite_only  # the plain reads are of a SQLite file

RICH_COMMAND = {
    "argv": ["make", "check"],
    "cwd": "/srv/app",
    "env": {"MODE": "ci", "LANG": "C"},
    "timeout_seconds": 90,
    "workspace": {"repo": "/srv/app", "base": "develop", "setup": {"copy": [".env"]}},
    "verify": [["pytest", "-q"], ["ruff", "check"]],
    "on_verify_fail": "fail",
    "agent": {"profile": "claude", "model": "opus", "args": ["--verbose"], "budget": {"usd": 2}},
}


@pytest.fixture
def rich(cli: Cli) -> Cli:
    """A task with a whole command, blockers and dependents, a timeline, decisions,
    progress, notes and context; and others with a bare command and none."""
    orch = open_orchestrator(cli.url, "alice")
    plan = {
        "name": "rich",
        "tasks": [
            {"key": "R-1", "title": "first"},
            {"key": "R-2", "title": "related", "command": {"argv": ["echo", "hi"]}},
            {
                "key": "R-3",
                "title": "the rich one",
                "description": "two\nlines — ünïcode",
                "priority": "high",
                "estimated_hours": 2.5,
                "requires_approval": True,
                "success_criteria": ["it works", "it is fast"],
                "tags": ["cli", "json"],
                "depends_on": ["R-1", {"key": "R-2", "type": "enhances"}],
                "command": RICH_COMMAND,
            },
            {"key": "R-4", "title": "after", "depends_on": ["R-3"]},
        ],
    }
    orch.plans.load(PlanSpec.model_validate(plan), "alice")
    orch.close()
    cli.ok("task", "start", "R-1")
    cli.ok("task", "done", "R-1")
    cli.ok("task", "start", "R-3")
    cli.ok("task", "progress", "R-3", "40", "half way")
    cli.ok("task", "progress", "R-3", "80")
    cli.ok("task", "note", "R-3", "remember the cache")
    cli.ok("task", "context", "R-3", "--set", "-", stdin="goal: ship\nsteps: [a, b]\n")
    cli.ok("task", "done", "R-3", "--summary", "all green")
    cli.ok("task", "request-changes", "R-3", "--comment", "one more test")
    cli.ok("task", "start", "R-3")
    cli.ok("task", "done", "R-3")
    approved = cli(
        "task", "approve", "R-3", "--comment", "good", env={"ORCHESTRATOR_TUI_ACTOR": "bob"}
    )
    assert approved.code == 0, approved.err
    return cli


def _both(cli: Cli, key: str) -> tuple[Result, Result]:
    """`task show KEY --json` as the plain reads answer it, and as the services do."""
    argv = ["--db", cli.url, "task", "show", key, "--json"]
    plain = run_in_process(argv, env=cli.env)
    with mock.patch("orchestrator_tui.store.quick_reads.open_reads", return_value=None):
        full = run_in_process(argv, env=cli.env)
    return plain, full


def test_a_rich_task_is_written_byte_for_byte_as_its_views_write_it(rich: Cli) -> None:
    for key in ("R-1", "R-2", "R-3", "R-4"):
        reads = open_reads(rich.url, plain=True, for_json=True)
        assert reads is not None
        reads.get_task(key)  # answered plainly, not handed to the models
        reads.close()
        plain, full = _both(rich, key)
        assert plain.code == 0 and plain.err == ""
        assert plain.out == full.out
    shown = rich.ok("task", "show", "R-3", "--json").json()
    assert [a["decision"] for a in shown["approvals"]] == ["changes_requested", "approved"]
    assert [p["percent"] for p in shown["progress_history"]][:2] == [40, 80]
    assert shown["notes"][0]["body"] == "remember the cache"
    assert shown["context"] == "goal: ship\nsteps: [a, b]\n"
    assert [b["key"] for b in shown["blockers"]] == ["R-1", "R-2"]
    assert [d["key"] for d in shown["dependents"]] == ["R-4"]
    command = shown["command"]  # every default the model fills in, nested ones too
    assert command["timeout_seconds"] == 90.0 and command["on_verify_fail"] == "fail"
    assert command["workspace"]["branch"] == "task/{key}"
    assert command["workspace"]["setup"] == {"copy": [".env"], "run": []}
    assert command["agent"]["budget"] == {"usd": 2.0, "tokens": None, "seconds": None}
    assert len(shown["timeline"]) >= 8


@pytest.mark.parametrize(
    "change",
    [
        "json_remove(command, '$.timeout_seconds')",  # written before the field was
        "json_remove(command, '$.workspace.remote')",
        "json_set(command, '$.verify', json('[]'))",  # a part the model leaves out
        "json_remove(command, '$.verify')",  # on_verify_fail alone
        "json_set(command, '$.extra_key', 1)",
        "json_set(command, '$.agent.budget', json('{\"usd\": 1}'))",
    ],
)
def test_a_command_not_as_the_model_writes_it_goes_to_the_models(rich: Cli, change: str) -> None:
    with sqlite3.connect(rich.db) as conn:
        conn.execute(f"UPDATE tasks SET command = {change} WHERE key = 'R-3'")
    conn.close()
    reads = open_reads(rich.url, plain=True, for_json=True)
    assert reads is not None
    with pytest.raises(GiveUp):
        reads.get_task("R-3")
    reads.close()
    plain, full = _both(rich, "R-3")
    assert plain == full  # the same JSON, or the same refusal of a command it cannot take


def test_the_plain_reads_know_every_key_a_command_writes(tmp_path: Path) -> None:
    """`row_fields.COMMAND_SHAPE` and `COMMAND_UNUSED`, derived from the models."""
    import typing

    from pydantic import BaseModel

    from orchestrator_tui.domain.models import CommandSpec
    from orchestrator_tui.store.row_fields import COMMAND_SHAPE, COMMAND_UNUSED

    def keys(model: type[BaseModel]) -> tuple[str, ...]:
        return tuple(f.serialization_alias or f.alias or n for n, f in model.model_fields.items())

    def shape(model: type[BaseModel], path: str = "") -> dict[str, tuple[str, ...]]:
        found = {path: keys(model)}
        for name, field in model.model_fields.items():
            for kind in typing.get_args(field.annotation) or (field.annotation,):
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    found.update(shape(kind, f"{path}.{name}".lstrip(".")))
        return found

    assert shape(CommandSpec) == COMMAND_SHAPE
    bare = CommandSpec(argv=["x"]).model_dump(mode="json")
    assert tuple(k for k in keys(CommandSpec) if k not in bare) == COMMAND_UNUSED
    assert list(bare) == [k for k in COMMAND_SHAPE[""] if k not in COMMAND_UNUSED]
