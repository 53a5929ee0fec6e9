"""A widget's Rich style worked out once per paint, not once per line drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.style import Style
    from textual.geometry import Region
    from textual.strip import Strip
    from textual.widget import Widget

    _Base = Widget
else:
    _Base = object


class StyleOncePerPaint(_Base):
    """Mixed in before a Line API widget whose `render_line` asks for `rich_style`
    (Textual's `Tree` does, and the log view). Textual works it out anew on each call,
    walking the styles of every ancestor, so a pane of twenty lines paid for it twenty
    times in each paint. Nothing restyles a widget while it paints: within one
    `render_lines` call the first answer stands."""

    _painting = False
    _paint_style: Style | None = None

    @property
    def rich_style(self) -> Style:
        if not self._painting:
            return super().rich_style
        if self._paint_style is None:
            self._paint_style = super().rich_style
        return self._paint_style

    def render_lines(self, crop: Region) -> list[Strip]:
        self._painting, self._paint_style = True, None
        try:
            return super().render_lines(crop)
        finally:
            self._painting, self._paint_style = False, None
