"""Completion over task keys for inputs that ask for one (`D`): the first key, in
natural order, that starts with what was typed, ignoring case; `right` accepts it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.suggester import Suggester

from .db import EXPECTED_ERRORS

if TYPE_CHECKING:
    from ..services import Orchestrator


class TaskKeySuggester(Suggester):
    def __init__(self, orch_provider: Callable[[], Orchestrator]) -> None:
        # No cache: tasks come and go while the prompt is open.
        super().__init__(use_cache=False, case_sensitive=False)
        self._orch = orch_provider

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None

        def lookup() -> list[str]:
            return self._orch().queries.keys_starting_with(value, 1)

        try:  # on a thread: never a database call on the UI loop
            keys = await asyncio.to_thread(lookup)
        except EXPECTED_ERRORS:
            return None
        return keys[0] if keys else None
