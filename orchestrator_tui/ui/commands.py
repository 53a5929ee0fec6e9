"""The command palette (ctrl+p): every key action by name, running the same
action methods as the keys (so disabled actions are refused the same way)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


class ActionCommands(Provider):
    """Commands built from the bindings of the app and of the current screen."""

    def _commands(self) -> Iterator[tuple[str, str, str, DOMNode]]:
        from .screens.help import keys_for  # the palette opens long after the first frame

        app = self.app
        screen = self.screen
        seen: set[str] = set()
        # The focused pane's footer keys first (the log's search, the tree's jump):
        # its cursor moves, hidden from its footer, are left to the keys.
        panes: list[tuple[DOMNode, list[object]]] = []
        pane: DOMNode | None = screen.focused
        while pane is not None and pane is not screen:
            shown = [b for b in getattr(pane, "BINDINGS", []) if getattr(b, "show", False)]
            panes.append((pane, shown))
            pane = pane.parent
        sources: list[tuple[DOMNode, list[object]]] = [
            *panes,
            (screen, list(getattr(screen, "BINDINGS", []))),
            (app, list(type(app).BINDINGS)),
        ]
        for node, bindings in sources:
            for binding in bindings:
                if not isinstance(binding, Binding) or binding.system:
                    continue
                action = binding.action
                if action in seen or action.startswith("app.pop_screen"):
                    continue
                seen.add(action)
                if node.check_action(action.split("(")[0], ()) is not True:
                    continue  # disabled right now (e.g. approve on a running task)
                help_text = f"key: {keys_for(app, binding)}"
                yield binding.tooltip or binding.description or action, help_text, action, node

    async def discover(self) -> Hits:
        for title, help_text, action, node in self._commands():
            yield DiscoveryHit(title, partial(self.app.run_action, action, node), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action, node in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.app.run_action, action, node),
                    help=help_text,
                )
