"""A Footer that updates its keys in place when only their enabled state changed.

The stock Footer recomposes (unmounts and mounts every key) on each bindings
update; the main screen updates bindings whenever the selected task's status
allows other keys, i.e. on most cursor moves, and a recompose costs several
milliseconds. When the same keys are shown, toggling `-disabled` is enough.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


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
        if self._bindings_ready and self.is_attached:
            self._layout = _shown(self.screen)[0]
        return super().compose()

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
