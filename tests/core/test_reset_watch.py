"""`ResetWatch`: the one check the TUI, `task logs --follow` and the MCP server make
for a database reset under them (`db reset`, `db copy --replace`)."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.errors import DatabaseReset
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.services.reset_watch import ResetWatch

from ..runner.helpers import reset_elsewhere


def test_each_reset_is_told_once_whatever_is_written_around_it(
    db_url: str, orch: Orchestrator
) -> None:
    watch = ResetWatch(orch)
    orch.tasks.create(TaskSpec(key="A", title="written, not a reset"))
    assert not watch.reset_since()
    reset_elsewhere(db_url)
    orch.tasks.create(TaskSpec(key="A", title="the same key again, after it"))
    assert watch.reset_since()
    assert not watch.reset_since()  # it follows the database as it is now
    reset_elsewhere(db_url)
    assert watch.reset_since(orch.queries.feed_marks())  # marks the caller read


def test_check_says_the_reset_and_where_it_came(db_url: str, orch: Orchestrator) -> None:
    watch = ResetWatch(orch)
    watch.check("while nothing happened")
    reset_elsewhere(db_url)
    with pytest.raises(DatabaseReset) as raised:
        watch.check("while following A's run 3: it is gone")
    assert str(raised.value) == (
        f"the database {orch.db.describe()} was reset (emptied) "
        "while following A's run 3: it is gone"
    )
    watch.check("once told, not again")


def test_a_watch_guarding_writes_refuses_them_until_it_has_told_the_reset(
    db_url: str, orch: Orchestrator
) -> None:
    """A write made from rows read before a reset (a dialog's decision, an MCP
    client's id) must not land on the rows that replaced them; once the reset is
    told, writes go to the database as it is now."""
    watch = ResetWatch(orch, guard_writes=True)
    orch.tasks.create(TaskSpec(key="A", title="before"))
    reset_elsewhere(db_url)
    other = open_orchestrator(db_url, "other")
    other.tasks.create(TaskSpec(key="A", title="a new A"))
    with pytest.raises(DatabaseReset) as refused:
        orch.tasks.start("A")
    assert str(refused.value) == f"the database {orch.db.describe()} was reset (emptied) meanwhile"
    assert other.queries.get_task("A").status.value == "pending"  # nothing written
    assert watch.reset_since()
    orch.tasks.start("A")  # the person has seen the new A
    assert other.queries.get_task("A").status.value == "in_progress"
    other.close()
