"""The key hints at the bottom of every screen, drawn as one line by one widget.

Textual's Footer mounts a widget per key (18 on the main screen) and mounts them
all again whenever the keys change, i.e. after most cursor moves: a good part of
the first frame's compose, styling and layout, and a recompose of several
milliseconds after it. This footer shows the same keys in the same places and
only repaints its line when they change.

What it shows, as Textual's Footer did: one key per action, in the order the
screen's bindings come, a disabled key dimmed, and `^p palette` at the right end
behind a thin bar. The help and quit keys come first, so a narrow terminal never
cuts them off, and below `COMPACT_BELOW` columns the keys drop their padding to
fit more. Keys that do not fit whole before the palette key are not shown (the
help screen lists every key), so no label is cut in two. A click on a key
presses it (a disabled key rings the bell); the mouse over a key highlights it
and shows its tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.dom import DOMNode
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from ..host import declared_bindings, textual_keymap

#: Bindings (by id) shown first in every footer, whatever else is cut off.
PINNED_IDS = ("app.help", "app.quit")
COMPACT_BELOW = 120
PALETTE_BAR = "▏"  # drawn left of the palette key (Textual's `vkey` border)


class ShownKey(NamedTuple):
    """One key as the footer shows it."""

    key: str  # what a click presses
    display: str  # how the key is written (`?`, `^p`)
    description: str
    action: str
    enabled: bool
    tooltip: str


class PlacedKey(NamedTuple):
    """A key and the columns it takes (`start` included, `end` not)."""

    key: ShownKey
    start: int
    end: int
    palette: bool = False


def footer_keys(screen: Screen[Any]) -> tuple[tuple[ShownKey, ...], ShownKey | None]:
    """The keys the footer shows (one per action, the pinned ones first) and the
    command palette's key (None when the palette is off)."""
    app = screen.app
    first: dict[str, ShownKey] = {}
    pinned: dict[str, ShownKey] = {}
    remapped: dict[str, DOMNode] = {}  # action -> the node declaring it, for a remapped key
    keymap = textual_keymap(app)
    for node, binding, enabled, tooltip in screen.active_bindings.values():
        if not binding.show or binding.action in first:
            continue
        if binding.id is not None and binding.id in keymap:
            remapped[binding.action] = node
        shown = ShownKey(
            binding.key,
            app.get_key_display(binding),
            binding.description,
            binding.action,
            enabled,
            tooltip,
        )
        first[binding.action] = shown
        if node is app and binding.id in PINNED_IDS:
            pinned[binding.id] = shown
    lead = [pinned[i] for i in PINNED_IDS if i in pinned]
    keys = (*lead, *_declared_places(first, remapped, lead))
    palette = None
    if app.ENABLE_COMMAND_PALETTE:
        found = screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
        if found is not None:
            _node, binding, enabled, _tooltip = found
            palette = ShownKey(
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                binding.tooltip or binding.description,
            )
    return keys, palette


def _declared_places(
    first: dict[str, ShownKey], remapped: dict[str, DOMNode], lead: list[ShownKey]
) -> list[ShownKey]:
    """The keys in the order they come, each remapped one back where its node declares
    it. A keymap re-adds a remapped binding at the end of the bindings `active_bindings`
    reads (Textual's `BindingsMap.apply_keymap`), which would move `S Work` (for `s`) to
    the end of the footer and off a narrow one; it goes back before the key its node
    declares next (else after the one declared before it)."""
    keys = [k for k in first.values() if k not in lead and k.action not in remapped]
    for action, node in remapped.items():
        if first[action] in lead:
            continue
        declared: dict[str, int] = {}
        for _key, binding in declared_bindings(node):
            declared.setdefault(binding.action, len(declared))
        mine = declared.get(action, len(declared))
        later = [k for k in keys if declared.get(k.action, -1) > mine]
        earlier = [k for k in keys if -1 < declared.get(k.action, -1) < mine]
        if later:
            at = keys.index(min(later, key=lambda k: declared[k.action]))
        elif earlier:
            at = keys.index(max(earlier, key=lambda k: declared[k.action])) + 1
        else:
            at = len(keys)
        keys.insert(at, first[action])
    return keys


def key_width(key: ShownKey, compact: bool) -> int:
    """Columns a key takes: ` k Label ` (`k Label` when compact)."""
    label = cell_len(key.display) + (cell_len(key.description) + 1 if key.description else 0)
    return label if compact else label + 2


def palette_width(key: ShownKey, compact: bool) -> int:
    """Columns of the palette key with its bar (and a trailing space unless compact)."""
    return cell_len(PALETTE_BAR) + key_width(key, compact=True) + (0 if compact else 1)


def place_keys(keys: Sequence[ShownKey], palette: ShownKey | None, width: int) -> list[PlacedKey]:
    """Where each key is drawn on a footer `width` columns wide: from the left, one
    column apart when compact, up to the first key that would reach the palette
    key (that key and every one after it are left out); the palette key last, at
    the right end."""
    compact = width < COMPACT_BELOW
    end = width
    placed_palette = None
    if palette is not None:
        start = width - palette_width(palette, compact)
        placed_palette = PlacedKey(palette, start, width, palette=True)
        end = start
    placed, x = [], 0
    for key in keys:
        right = x + key_width(key, compact)
        if right > end:
            break
        placed.append(PlacedKey(key, x, right))
        x = right + (1 if compact else 0)
    if placed_palette is not None:
        placed.append(placed_palette)
    return placed


class KeyFooter(Widget, can_focus=False):
    """The screen's keys on one line (see the module's docstring)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--item",
        "key-footer--key",
        "key-footer--description",
        "key-footer--disabled",
        "key-footer--hover",
        "key-footer--bar",
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._keys: tuple[tuple[ShownKey, ...], ShownKey | None] | None = None
        self._placed: list[PlacedKey] = []
        self._mouse_x: int | None = None  # the column under the mouse, if over the footer

    # -- what is shown --------------------------------------------------------

    @property
    def shown(self) -> list[PlacedKey]:
        """The keys on the line as last drawn, palette key last."""
        return list(self._placed)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # (While the terminal has not the focus, the keys are left as they were, as
        # Textual's Footer does; the bindings are announced again when it comes back.)
        if screen is not self.screen or not screen.app.app_focus:
            return
        keys = footer_keys(screen)
        if keys != self._keys:
            self._keys = keys
            self.refresh()

    def render_line(self, y: int) -> Strip:
        """The one line, built from segments (the gaps carry the footer's background
        alone, as the blank space of Textual's footer did)."""
        width = self.size.width
        base = self.rich_style
        blank = Style.from_color(bgcolor=base.bgcolor)
        if y:
            return Strip.blank(width, blank)
        if self._keys is None:
            self._keys = footer_keys(self.screen)
        self._placed = place_keys(*self._keys, width)
        compact = width < COMPACT_BELOW
        segments: list[Segment] = []
        x = 0
        for placed in self._placed:
            if placed.start > x:
                segments.append(Segment(" " * (placed.start - x), blank))
            segments.extend(self._draw(placed, compact))
            x = placed.end
        if width > x:
            segments.append(Segment(" " * (width - x), blank))
        return Strip(segments, width)

    def _draw(self, placed: PlacedKey, compact: bool) -> list[Segment]:
        """A key's segments: ` k Label ` (`k Label` when compact; the palette key
        always so, after its bar)."""
        key = placed.key
        names = ["key-footer--item"]
        if not key.enabled:
            names.append("key-footer--disabled")
        if self._mouse_x is not None and placed.start <= self._mouse_x < placed.end:
            names.append("key-footer--hover")
        item = self.get_component_rich_style(*names)
        key_style = item + self.get_component_rich_style("key-footer--key", partial=True)
        label_style = item + self.get_component_rich_style("key-footer--description", partial=True)
        parts: list[Segment] = []
        if placed.palette:
            parts.append(Segment(PALETTE_BAR, self.get_component_rich_style("key-footer--bar")))
        tight = compact or placed.palette
        parts.append(Segment(key.display if tight else f" {key.display} ", key_style))
        if key.description:
            label = f" {key.description}" if tight else f"{key.description} "
            parts.append(Segment(label, label_style))
        if placed.palette and not compact:  # (its padding: the background alone)
            parts.append(Segment(" ", Style.from_color(bgcolor=item.bgcolor)))
        return parts

    # -- the mouse ----------------------------------------------------------------

    def _key_at(self, x: int) -> PlacedKey | None:
        return next((p for p in self._placed if p.start <= x < p.end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        placed = self._key_at(event.x)
        if placed is None:
            return
        event.stop()
        if placed.key.enabled:
            self.app.simulate_key(placed.key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover_over(event.x)

    def on_leave(self, event: events.Leave) -> None:
        self._hover_over(None)

    def _hover_over(self, x: int | None) -> None:
        """Highlight the key under the mouse and make its tooltip the footer's."""
        before = None if self._mouse_x is None else self._key_at(self._mouse_x)
        self._mouse_x = x
        placed = None if x is None else self._key_at(x)
        if placed == before:
            return
        self.tooltip = (placed.key.tooltip or None) if placed else None
        self.styles.pointer = "pointer" if placed else "default"
        self.refresh()
