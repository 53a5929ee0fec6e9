"""What screens, widgets and the app's mixins may ask of the app they run in.

The app (`orchestrator_tui.app.OrchestratorApp`) sits above ui/ and is never
imported here: it derives from `HostApp`, and `host(node)` is the one typed
way from any widget or screen to the services, the actor, the clock and the
runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.reactive import reactive

if TYPE_CHECKING:
    from ..domain.list_row import ListRow
    from ..services import Orchestrator
    from .runner_control import RunnerControl


class HostApp(App[int]):
    """The app as the ui layer sees it; `OrchestratorApp` fills in every part."""

    actor: str
    clock: Callable[[], datetime]
    runner_control: RunnerControl
    #: This session's own recorded moves (event ids), newest last: what `u` undoes.
    undo_stack: list[int]
    #: Tasks awaiting approval; -1 until the change feed is first read (not known yet).
    awaiting_approval: reactive[int] = reactive(-1)
    open_questions: reactive[int] = reactive(0)
    location: reactive[str] = reactive("")
    #: Why runners claim nothing although tasks are ready (a plan's budget is spent).
    idle_reason: reactive[str] = reactive("")

    def orch_provider(self) -> Orchestrator:
        """The open orchestrator (workers wait for it; the UI thread never should)."""
        raise NotImplementedError

    def take_first_page(self) -> tuple[int, list[ListRow]] | None:
        """The first page of the task list if it was read before the main screen
        mounted or is read shortly after (waiting for it), once (the main screen draws
        it in its first frame); None otherwise."""
        return None

    def first_page_drawn(self) -> None:
        """The rows read before the database opened are on screen (it may load now)."""

    @property
    def is_ready(self) -> bool:
        """Whether the database is open."""
        raise NotImplementedError

    def poke_feed(self) -> None:
        """Look at the change feed now (after our own writes)."""
        raise NotImplementedError

    def _show_runner(self, active: int | None = None) -> None:
        """Show the runner's current state in the header."""
        raise NotImplementedError


def host(node: DOMNode) -> HostApp:
    """The app `node` runs in."""
    app = node.app
    if not isinstance(app, HostApp):
        raise TypeError(f"{type(app).__name__} is not an orchestrator-tui app")
    return app


def binds_key(node: DOMNode, key: str) -> bool:
    """Whether one of `node`'s own bindings uses `key`, after the app's keymap: a cheap
    test before `App.active_bindings`, which runs every binding's `check_action` and
    would cost every key press that much. (It reads Textual's binding map and keymap
    as `Screen._binding_chain` does; textual is pinned exactly in pyproject.toml.)"""
    return key in _own_bindings(node).key_to_bindings


def own_bindings(node: DOMNode, key: str) -> list[Binding]:
    """`node`'s own bindings of `key`, after the app's keymap (see `binds_key`)."""
    return list(_own_bindings(node).key_to_bindings.get(key, ()))


def textual_keymap(app: App[object]) -> Mapping[str, str]:
    """The keymap `app.set_keymap` set (binding id -> keys, the key names normalised),
    as Textual applies it. Textual 8.2 has no public way to read it (`set_keymap` and
    `update_keymap` only write it; `Screen._binding_chain` reads the private attribute
    too), so it is read here, in this one place: textual is pinned exactly in
    pyproject.toml, and tests/tui/test_footer.py fails plainly if Textual changes it."""
    return app._keymap


def declared_bindings(node: DOMNode) -> BindingsMap:
    """`node`'s own bindings, in the order declared, before the keymap (Textual's
    private attribute: see `textual_keymap`)."""
    return node._bindings


def _own_bindings(node: DOMNode) -> BindingsMap:
    bindings = declared_bindings(node)
    keymap = textual_keymap(node.app)
    if keymap:
        bindings = bindings.copy()
        bindings.apply_keymap(keymap)
    return bindings
