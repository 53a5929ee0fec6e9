"""The dependency tree of the selected task: what it waits for (upstream) and
what waits for it (downstream), loaded one level at a time as nodes expand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Self

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.widgets import Tree
from textual.widgets.tree import NodeID, TreeNode, UnknownNodeID

from ...domain.enums import DependencyType, TaskStatus
from ...domain.errors import NotFound
from ...domain.event_text import words
from ..db import run_db
from ..messages import DataMessage
from ..render import STATUS_ICON, safe, status_style
from .paint_style import StyleOncePerPaint

if TYPE_CHECKING:
    from ...domain.models import DependencyView, TaskRow
    from ...services import Orchestrator

Path = tuple[str, ...]


@dataclass
class NodeData:
    """What a node of the tree stands for: a task upstream or downstream, or a heading."""

    key: str
    upstream: bool | None  # None: the root (the selected task itself)
    path: Path
    group: bool = False  # the "waits for" / "needed by" headings
    loaded: bool = False
    #: What its label says (a heading's words, or the task's title, status and
    #: link type), kept to draw it again in another theme's colours.
    title: str = ""
    status: TaskStatus = TaskStatus.PENDING
    dep_type: DependencyType = DependencyType.BLOCKS


class _Links(DataMessage):
    """A node's links, read when it was expanded (`generation`: the tree's then)."""

    generation: int
    node_id: NodeID
    links: list[DependencyView]


class _Root(DataMessage):
    """The selected task's links both ways, read for a new root."""

    generation: int
    upstream: list[DependencyView]
    downstream: list[DependencyView]


class DependencyTree(StyleOncePerPaint, Tree[NodeData]):
    """Upstream and downstream of the selected task.

    | Key | Action |
    | :- | :- |
    | j / k, up / down | Move |
    | g / G | First / last line |
    | space | Expand or collapse |
    | enter | Go to that task in the task list |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="tree.up"),
        Binding("g", "first", "First", show=False, id="tree.top"),
        Binding("G", "last", "Last", show=False, id="tree.bottom"),
        Binding("enter", "jump", "Go to task", id="tree.jump"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "dep-tree--critical",
        "dep-tree--group",
        "dep-tree--muted",
    }

    class JumpTo(DataMessage):
        """The person chose a task in the tree: the list selects `key`."""

        key: str

    _rebuilding = False  # see `refresh`
    _fits = False

    def __init__(self, orch_provider: Callable[[], Orchestrator], *, id: str | None = None):
        super().__init__(Text("no task selected"), id=id)
        self._orch_provider = orch_provider
        self.auto_expand = False
        self.show_root = True
        self.guide_depth = 3
        self.critical: frozenset[str] = frozenset()
        self.shown: TaskRow | None = None
        self._generation = 0
        self._expanded: set[Path] = set()
        self._cursor_path: Path | None = None

    # -- repaints -----------------------------------------------------------------

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        # Tree asks for a layout of the whole screen (which repaints every pane) on
        # every node added or cleared and on every new virtual size. This tree's size
        # comes from its pane (height 1fr), never from its lines: while nodes are
        # rebuilt, or when the lines fit before and after (no scrollbar comes or
        # goes), a repaint of the tree is enough.
        if self._rebuilding or self._fits:
            self._fits = False
            layout = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def watch_virtual_size(self, old: Size, new: Size) -> None:
        room = self.scrollable_content_region.size
        self._fits = (
            not self.show_vertical_scrollbar
            and not self.show_horizontal_scrollbar
            and room.width > 0
            and max(old.width, new.width) <= room.width
            and max(old.height, new.height) <= room.height
        )

    @contextmanager
    def _rebuild(self) -> Iterator[None]:
        self._rebuilding = True
        try:
            yield
        finally:
            self._rebuilding = False

    # -- public API -------------------------------------------------------------

    def show(self, row: TaskRow | None, *, keep_state: bool = False) -> None:
        """Show the tree of `row`; with `keep_state` re-open what was open (a refresh)."""
        if not keep_state or row is None or self.shown is None or row.key != self.shown.key:
            self._expanded = {("up",), ("down",)}
            self._cursor_path = None
        else:
            self._remember_state()
        self.shown = row
        self._generation += 1
        if row is None:
            self.clear()
            self.root.set_label(Text("no task selected"))
            return
        generation, key = self._generation, row.key

        def load(orch: Orchestrator) -> _Root | None:
            try:
                links = orch.queries.links(key, True), orch.queries.links(key, False)
            except NotFound:
                return None  # gone (`db reset`): the list, reloaded, moves the cursor off it
            return _Root(generation, *links)

        run_db(self, load, lambda m: m, group="tree-root", exclusive=True)

    def on_mount(self) -> None:
        # Labels are text styled when drawn: a new theme redraws them in its colours
        # (the signal comes after the app restyled every node for the theme).
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def _on_theme_changed(self, _theme: object) -> None:
        def walk(node: TreeNode[NodeData]) -> None:
            if node.data is not None:
                node.set_label(self._label(node.data))
            for child in node.children:
                walk(child)

        if self.root.data is not None:
            with self._rebuild():
                walk(self.root)

    def shows_any(self, keys: frozenset[str]) -> bool:
        """Whether any of `keys` is on one of the tree's lines."""

        def walk(node: TreeNode[NodeData]) -> bool:
            if node.data is not None and not node.data.group and node.data.key in keys:
                return True
            return any(walk(child) for child in node.children)

        return walk(self.root)

    def set_critical(self, keys: frozenset[str]) -> None:
        if keys == self.critical:
            return
        self.critical = keys
        if self.shown is not None:
            self.show(self.shown, keep_state=True)

    # -- loading ----------------------------------------------------------------

    @on(_Root)
    def _on_root(self, message: _Root) -> None:
        message.stop()
        if message.generation != self._generation or self.shown is None:
            return
        with self._rebuild():
            self._build_root(self.shown, message)

    def _build_root(self, row: TaskRow, message: _Root) -> None:
        self.clear()
        self.root.data = NodeData(row.key, None, (), title=row.title, status=row.status)
        self.root.set_label(self._label(self.root.data))
        for upstream, links, path in (
            (True, message.upstream, ("up",)),
            (False, message.downstream, ("down",)),
        ):
            heading = f"{'waits for' if upstream else 'needed by'} ({len(links)})"
            data = NodeData(row.key, upstream, path, group=True, loaded=True, title=heading)
            group = self.root.add(self._label(data), data)
            self._add_links(group, links)
            if path in self._expanded:
                group.expand()
        self.root.expand()
        self._restore_cursor(self.root)

    def _add_links(self, parent: TreeNode[NodeData], links: list[DependencyView]) -> None:
        assert parent.data is not None
        if not links:
            parent.add_leaf(Text("(none)"), None)
        for link in links:
            path = (*parent.data.path, link.key)
            data = NodeData(
                link.key,
                parent.data.upstream,
                path,
                title=link.title,
                status=link.status,
                dep_type=link.type,
            )
            child = parent.add(self._label(data), data)
            if path in self._expanded:
                child.expand()
            self._restore_cursor(child)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        event.stop()
        data = event.node.data
        if data is None or data.loaded or data.upstream is None:
            return
        data.loaded = True
        generation, node_id, key, upstream = (
            self._generation,
            event.node.id,
            data.key,
            data.upstream,
        )

        def load(orch: Orchestrator) -> _Links:
            return _Links(generation, node_id, orch.queries.links(key, upstream))

        run_db(self, load, lambda m: m, group="tree-links")

    @on(_Links)
    def _on_links(self, message: _Links) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        try:
            node = self.get_node_by_id(message.node_id)
        except UnknownNodeID:
            return  # rebuilt meanwhile
        with self._rebuild():
            self._add_links(node, message.links)

    # -- state kept across refreshes --------------------------------------------

    def _remember_state(self) -> None:
        if self.root.data is None or self.shown is None or self.root.data.key != self.shown.key:
            return  # the tree still shows something else (its first load is on the way)
        self._expanded = set()

        def walk(node: TreeNode[NodeData]) -> None:
            if node.data is not None and node.is_expanded and node.data.path:
                self._expanded.add(node.data.path)
            for child in node.children:
                walk(child)

        walk(self.root)
        node = self.cursor_node
        self._cursor_path = node.data.path if node is not None and node.data else None

    def _restore_cursor(self, node: TreeNode[NodeData]) -> None:
        if self._cursor_path is not None and node.data and node.data.path == self._cursor_path:
            self.call_after_refresh(self.move_cursor, node, animate=False)

    # -- labels -----------------------------------------------------------------

    def _label(self, data: NodeData) -> Text:
        """A line's label in the styles of the moment."""
        if data.group:
            return Text(data.title, style=self.get_component_rich_style("dep-tree--group"))
        return self._task_label(data.key, data.title, data.status, data.dep_type)

    def _task_label(
        self,
        key: str,
        title: str,
        status: TaskStatus,
        dep_type: DependencyType = DependencyType.BLOCKS,
    ) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, end="")
        text.append(f"{STATUS_ICON[status]} ", status_style(self, status))
        text.append(key, style("dep-tree--critical") if key in self.critical else "")
        text.append(" ")
        text.append(safe(title, 120))
        text.append(f" ({words(status.value)})", style("dep-tree--muted"))
        if not dep_type.gates:
            text.append(f" [{dep_type.value}]", style("dep-tree--muted"))
        if key in self.critical:
            text.append(" ★ critical", style("dep-tree--critical"))
        return text

    # -- actions ----------------------------------------------------------------

    def action_first(self) -> None:
        self.cursor_line = 0

    def action_last(self) -> None:
        self.cursor_line = self.last_line

    def action_jump(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None or node.data.group:
            return
        if self.shown is not None and node.data.key == self.shown.key:
            return
        self.post_message(self.JumpTo(node.data.key))
