"""Noticing that the database was reset under a reader that stays open (the TUI,
`task logs --follow`, the MCP server): `db reset` or `db copy --replace` empties every
table, and ids start over, so every key and id read before names nothing now, or
another row. Each reset gives the database a new generation (`FeedMarks.generation`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain.errors import DatabaseReset
from ..store.schema import refuse_writes_after_reset

if TYPE_CHECKING:
    from . import Orchestrator
    from .queries import FeedMarks


class ResetWatch:
    """Whether the database was reset since the watch last looked. It starts from the
    generation read when it is made (or from `marks`, just read by the caller), and
    tells each reset once: then it follows the database as it is now.

    `guard_writes`: the orchestrator's writes are refused (`DatabaseReset`, nothing
    written) while the database is not the one the watch last saw, so a write made
    from what was read before a reset (a dialog's decision, an MCP client's id) never
    lands on the rows that replaced it; once the watch has told the reset, writes
    go to the database as it is now."""

    def __init__(
        self, orch: Orchestrator, marks: FeedMarks | None = None, guard_writes: bool = False
    ) -> None:
        self.orch = orch
        self.generation = (marks or orch.queries.feed_marks()).generation
        self.guard_writes = guard_writes
        self._guard()

    def _guard(self) -> None:
        if self.guard_writes:
            refuse_writes_after_reset(self.orch.db, self.generation)

    def reset_since(self, marks: FeedMarks | None = None) -> bool:
        """Whether the database was reset since the last look; `marks`: the feed's
        marks the caller has just read (else they are read here)."""
        now = (marks or self.orch.queries.feed_marks()).generation
        if now == self.generation:
            return False
        self.generation = now
        self._guard()
        return True

    def check(self, when: str) -> None:
        """`DatabaseReset` if the database was reset since the last look, saying
        `the database ... was reset (emptied) WHEN`."""
        if self.reset_since():
            raise DatabaseReset.of(self.orch.db.describe(), when)
