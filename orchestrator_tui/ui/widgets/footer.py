"""A Footer that updates its keys in place when only their enabled state changed.

The stock Footer recomposes (unmounts and mounts every key) on each bindings
update; the main screen updates bindings whenever the selected task's status
allows other keys, i.e. on most cursor moves, and a recompose costs several
milliseconds. When the same keys are shown, toggling `-disabled` is enough.

The help and quit keys come first, so a narrow terminal never cuts them off,
and below `COMPACT_BELOW` columns the keys drop their padding to fit more. Keys
that do not fit whole before the docked command-palette key are not shown (the
help screen lists every key), so no label is cut in two.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Bindings (by id) shown first in every footer, whatever else is cut off.
PINNED_IDS = ("app.help", "app.quit")
COMPACT_BELOW = 120
FIT_TRIES = 5  # refreshes to wait for the keys' layout before fitting them


def _pinned(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(key, action) of the app's pinned bindings as the screen has them now."""
    found = {
        binding.id: (binding.key, binding.action)
        for node, binding, _enabled, _tooltip in screen.active_bindings.values()
        if node is screen.app and binding.show and binding.id in PINNED_IDS
    }
    return [found[i] for i in PINNED_IDS if i in found]


def _shown(screen: Screen[Any]) -> tuple[tuple[Any, ...], dict[str, bool]]:
    """What the footer draws (keys, labels, tooltips) and each action's enabled state."""
    layout = []
    enabled: dict[str, bool] = {}
    for _node, binding, is_enabled, tooltip in screen.active_bindings.values():
        if binding.show:
            layout.append((binding.key, binding.action, binding.description, tooltip))
            enabled.setdefault(binding.action, is_enabled)
    return tuple(layout), enabled


class KeyFooter(Footer):
    """`Footer` without a recompose when only enabled/disabled changed."""

    _layout: tuple[Any, ...] | None = None

    def compose(self) -> Any:
        if not (self._bindings_ready and self.is_attached):
            yield from self._keys()
            return
        self._layout = _shown(self.screen)[0]
        keys = list(self._keys())
        pinned = _pinned(self.screen)
        first = sorted(
            (k for k in keys if isinstance(k, FooterKey) and (k.key, k.action) in pinned),
            key=lambda k: pinned.index((k.key, k.action)),
        )
        yield from first
        yield from (k for k in keys if k not in first)
        self.call_after_refresh(self._fit_keys, FIT_TRIES)

    def _keys(self) -> list[Any]:
        """The stock footer's widgets, each key already as compact as the footer: a
        key starts compact and its data binding then changes it, which restyles every
        key twice per compose (a good part of the first frame)."""
        widgets = list(super().compose())
        for key in widgets:
            # (The command palette's key is not bound to the footer: it stays compact.)
            if isinstance(key, FooterKey) and not key.has_class("-command-palette"):
                key.set_reactive(FooterKey.compact, self.compact)
                key.set_class(self.compact, "-compact", update=False)
        return widgets

    def on_resize(self) -> None:
        self.compact = self.size.width < COMPACT_BELOW
        for child in self.children:  # laid out whole again, then fitted
            child.display = True
        self.call_after_refresh(self._fit_keys, FIT_TRIES)

    def _fit_keys(self, tries: int) -> None:
        """Hide the keys from the first one the palette key would cut onwards."""
        if not all(child.region for child in self.children if child.display):
            if tries > 1:  # not laid out yet (or not on screen: then leave it)
                self.call_after_refresh(self._fit_keys, tries - 1)
            return
        palette = [c for c in self.children if c.has_class("-command-palette") and c.display]
        end = palette[0].region.x if palette else self.region.right
        cut = False
        for child in self.children:
            if child not in palette:
                cut = cut or child.region.right > end
                child.display = not cut

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if (
            self._layout is not None
            and self.is_attached
            and screen is self.screen
            and screen.app.app_focus
        ):
            layout, enabled = _shown(screen)
            if layout == self._layout:
                for key in self.query(FooterKey):
                    state = enabled.get(key.action)
                    if state is not None and key._disabled == state:
                        key._disabled = not state
                        key.set_class(not state, "-disabled")
                return
        super().bindings_changed(screen)
