"""A screen's partial frames drawn from the widgets under the changed lines alone.

For a partial frame (a cursor move changes two lines of the list, a typed letter
one line of the filter), Textual's compositor asks every widget whose *clip* (its
container's region) touches the changed lines for every line it shows: at the
cursor's move the screen, header, footer, the panes' container, the four panes,
the filter bar, the list and its scrollbar, each drawn whole from its cache
(~40 µs a widget before a line is drawn), although only the widgets whose visible
part (its region within its clip) touches those lines can be on them, and only
those lines are written. Here a partial frame asks those widgets for those lines.
The lines written are the same: within a line, the frontmost widget over each
stretch between two widget edges is the same one either way.

Textual has no public hook for this: the screen's compositor is its private
`_compositor`, and the override is of `Compositor._get_renders` (Textual is
pinned exactly; `tests/tui/test_changed_lines.py` checks the frames are the same
as Textual's own and that the hook is still where it is).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual._compositor import Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip


class ChangedLinesCompositor(Compositor):
    """Textual's compositor, drawing a partial frame from the widgets (and lines)
    under it alone."""

    def _get_renders(
        self, crop: Region | None = None
    ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if crop is None:  # a whole frame: Textual's own
            yield from super()._get_renders(crop)
            return
        crop_x, crop_y, crop_width, crop_height = crop
        crop_right, crop_bottom = crop_x + crop_width, crop_y + crop_height
        intersection = Region.intersection
        for widget, (region, clip) in self.visible_widgets.items():
            x, y, width, height = intersection(region, clip)  # what the widget shows
            top, bottom = max(y, crop_y), min(y + height, crop_bottom)
            if bottom <= top or x >= crop_right or x + width <= crop_x:
                continue
            # The shown part's whole width (the line's cuts are at widget edges), the
            # crop's lines: yielded as the clip, so the caller places these strips.
            shown = Region(x, top, width, bottom - top)
            yield (
                region,
                shown,
                widget.render_lines(Region(x - region.x, top - region.y, width, bottom - top)),
            )


def draw_changed_lines(screen: Screen[Any]) -> None:
    """Give `screen` (before it is mounted) the compositor above."""
    screen._compositor = ChangedLinesCompositor()
