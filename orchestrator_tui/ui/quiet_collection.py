"""Garbage collected between keys rather than in the middle of one.

The interpreter collects its youngest generation whenever 700 more container
objects are alive than at the last collection, on whichever thread allocates
the 700th. In the running app a cursor move and what follows it once the cursor
rests (the tree, the log pane, the footer's keys) leave about 2,400, so three
collections fall among every key's work, and one key in two had one inside its
latency: 0.2-0.5 ms each, 6 ms for the middle generation, up to 130 ms for a
whole one, all holding the interpreter while the key waits (measured in a
pseudo-terminal at 100k tasks, load ~6).

Here the interpreter's own collection waits until much more has piled up (a
safety valve for a worker building many objects), and the app collects, with
the interpreter's own thresholds, once no key has come for QUIET_SECONDS; a
whole collection waits for OLD_QUIET_SECONDS (keys typed every 0.3 s would
otherwise meet it), as the interpreter itself puts one off while it would
find too little.

At rest (no key nor anything else for REST_SECONDS, and nothing to collect) the
app stops looking until something happens again (`stir`), so that a TUI nobody
uses does not wake ten times a second for nothing. Whatever stirs it (a change
from elsewhere, the mouse) then waits as a key does: the looks resume with it,
the first one at once, while what it set off is being drawn, and the keys had
long been quiet, so a collection (a whole one is 100-150 ms at 100k tasks) could
fall inside the change's redraw.
"""

from __future__ import annotations

import gc
from time import monotonic

LOOK_SECONDS = 0.1  # how often the app looks whether to collect
QUIET_SECONDS = 0.08  # no key for this long: a collection will not hold one up
OLD_QUIET_SECONDS = 1.0  # the same for a whole collection (100-150 ms at 100k tasks)
REST_SECONDS = 2.0  # nothing for this long and nothing to collect: the looks can stop
VALVE_FACTOR = 20  # the interpreter collects by itself past this many thresholds (~3 ms)


class QuietCollection:
    """Collects the young generations when the keys are quiet (`look`, called every
    LOOK_SECONDS); `started` raises the interpreter's own first threshold and
    `stop` puts it back."""

    def __init__(self) -> None:
        self.thresholds = gc.get_threshold()
        self.last_key = 0.0
        self.last_stir = 0.0
        self.started = False

    def start(self) -> None:
        young, middle, old = self.thresholds
        gc.set_threshold(young * VALVE_FACTOR, middle, old)
        self.started = True
        # Counted as a key: the first keys come while the start's work is still
        # leaving garbage behind (the list's first reload, the dashboard's counts).
        self.last_key = monotonic()

    def stop(self) -> None:
        if self.started:
            gc.set_threshold(*self.thresholds)
            self.started = False

    def key_pressed(self) -> None:
        self.last_key = self.last_stir = monotonic()

    def stir(self) -> None:
        """Something other than a key happened that leaves garbage behind (a change
        from elsewhere, the mouse): the looks go on for a while, and collect once it
        is as quiet as after a key."""
        self.last_stir = monotonic()

    def resting(self) -> bool:
        """Whether the looks can stop until the next `stir` or key: nothing happened
        for REST_SECONDS and the young generation is under the interpreter's own
        threshold (what piles up meanwhile waits for the next key, or the valve)."""
        if monotonic() - max(self.last_stir, self.last_key) < REST_SECONDS:
            return False
        return gc.get_count()[0] <= self.thresholds[0]

    def look(self) -> int | None:
        """Collect what the interpreter would have by now, if the keys and whatever
        else stirred the app are quiet; the generation collected, or None."""
        young, middle, old = gc.get_count()
        young_limit, middle_limit, old_limit = self.thresholds
        quiet = monotonic() - max(self.last_key, self.last_stir)
        if young <= young_limit or quiet < QUIET_SECONDS:
            return None
        # As the interpreter chooses: the oldest generation whose count is over its
        # threshold (a collection of one adds one to the next one's count).
        if old > old_limit and quiet >= OLD_QUIET_SECONDS:
            generation = 2
        else:
            generation = 1 if middle > middle_limit else 0
        gc.collect(generation)
        return generation
