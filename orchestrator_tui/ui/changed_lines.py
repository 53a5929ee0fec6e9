"""A screen's partial frames drawn from the widgets under the changed lines alone.

For a partial frame (a cursor move changes two lines of the list, a typed letter
one line of the filter), Textual's compositor asks every widget whose *clip* (its
container's region) touches the changed lines for every line it shows: at the
cursor's move the screen, header, footer, the panes' container, the four panes,
the filter bar, the list and its scrollbar, each drawn whole from its cache
(~40 µs a widget before a line is drawn), although only the widgets whose visible
part (its region within its clip) touches those lines can be on them, and only
those lines are written. Here a partial frame asks those widgets for those lines,
leaving out any wholly behind the widgets in front of it there (on a cursor move
the list and its scrollbar are asked, not the screen or the panes around them).
The screen is the same: within a line, the frontmost widget over each stretch
between two widget edges is the same one either way, and only the stretches under
the changed regions are written.

Textual has no public hook for this: the screen's compositor is its private
`_compositor`, and the override is of `Compositor._get_renders` (Textual is
pinned exactly; `tests/tui/test_changed_lines.py` checks the frames are the same
as Textual's own and that the hook is still where it is).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip


class ChangedLinesCompositor(Compositor):
    """Textual's compositor, drawing a partial frame from the widgets (and lines)
    under its changed regions alone."""

    _changed: list[Region] | None = None  # a partial frame's regions, while drawn

    def render_partial_update(self) -> ChopsUpdate | None:
        # The regions themselves, not only the rectangle around them that Textual
        # passes on: after the cursor rests the tree and the log pane change, and the
        # rectangle around them holds the dashboard and the list too.
        self._changed = list(self._dirty_regions)
        try:
            return super().render_partial_update()
        finally:
            self._changed = None

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        changed = self._changed
        if crop is None or changed is None:  # a whole frame: Textual's own
            yield from super()._get_renders(crop)
            return
        intersection = Region.intersection
        # Per line, the stretches already drawn by widgets in front (Textual lists the
        # widgets front to back; on each line the frontmost widget's piece is kept).
        in_front: dict[int, list[tuple[int, int]]] = {}
        for widget, (region, clip) in self.visible_widgets.items():
            shown = intersection(region, clip)  # what the widget shows
            under = [part for part in changed if shown.overlaps(part)]
            if not under:
                continue
            x, y, width, height = shown
            top = max(y, min(part.y for part in under))
            bottom = min(y + height, max(part.bottom for part in under))
            # Only the changed columns are written (a piece between two widget edges
            # has one frontmost widget, so one in front over its changed part has it).
            left = max(x, min(part.x for part in under))
            right = min(x + width, max(part.right for part in under))
            if all(_covered(in_front.get(line), left, right) for line in range(top, bottom)):
                continue  # wholly behind the widgets in front on the changed part
            for line in range(top, bottom):
                in_front.setdefault(line, []).append((x, x + width))
            # The shown part's whole width (the line's cuts are at widget edges), the
            # changed lines: yielded as the clip, so the caller places these strips.
            lines = Region(x, top, width, bottom - top)
            yield (
                region,
                lines,
                widget.render_lines(Region(x - region.x, top - region.y, width, bottom - top)),
            )


def _covered(stretches: list[tuple[int, int]] | None, start: int, end: int) -> bool:
    """Whether `stretches` (of one line) cover every cell from `start` to `end`."""
    if not stretches:
        return False
    for left, right in sorted(stretches):
        if left > start:
            return False
        start = max(start, right)
        if start >= end:
            return True
    return False


def draw_changed_lines(screen: Screen[Any]) -> None:
    """Give `screen` (before it is mounted) the compositor above."""
    screen._compositor = ChangedLinesCompositor()
