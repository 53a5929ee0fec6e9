"""Where the whole plan stands: a bar per status, progress by estimated hours,
approvals waiting, agents and their heartbeats, the critical path, recent
events and a sparkline of completions per hour."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from ...domain.changes import COUNTED
from ...domain.enums import AGENT_STALE_AFTER_SECONDS, TaskStatus
from ...domain.money import spent, usd
from ...domain.words import counted
from ..db import Refresher, itself
from ..messages import DataMessage
from ..render import (
    STATUS_ICON,
    STATUS_LONG,
    age,
    bar,
    event_line,
    safe,
    status_style,
)

if TYPE_CHECKING:
    from textual.timer import Timer

    from ...domain.agent import Spend
    from ...domain.models import DashboardStats
    from ...services import Orchestrator

#: On a plan whose critical path takes long to compute, reuse it this long.
CRITICAL_PATH_REUSE = 10.0
AGE_TICK_SECONDS = 1.0  # how often "♥ 12s ago" moves on between reloads, under a minute


def next_age_change(seconds: float) -> float:
    """How long until an age of `seconds` reads differently (`12s` each second, `5m`
    each minute, ...) or turns stale: the dashboard wakes only then."""
    step = AGE_TICK_SECONDS
    for size in (86400.0, 3600.0, 60.0):
        if seconds >= size:
            step = size
            break
    until = step - seconds % step
    if seconds < AGENT_STALE_AFTER_SECONDS:
        until = min(until, AGENT_STALE_AFTER_SECONDS - seconds)
    return until


#: After a change, wait this long for more before reading the aggregates again.
DEBOUNCE_SECONDS = 0.25

#: (computed at, seconds it took, (path, hours)) of a critical path
Critical = tuple[float, float, tuple[list[str], float]]


class StatsLoaded(DataMessage):
    """The statistics a reload read, and the critical path it used or found."""

    stats: DashboardStats
    critical: Critical | None = None
    counted: int | None = None  # the `StatsRequest.counted` it answers, if it counted


class StatsRequest(NamedTuple):
    """What a reload needs, taken on the UI thread: the last critical path, and
    the last statistics when only what moves without a task changing is due."""

    critical: Critical | None
    counts: DashboardStats | None
    counted: int


def load_stats(orch: Orchestrator, request: StatsRequest) -> StatsLoaded:
    """On a worker thread. The critical path is recomputed on every reload that
    counts while that is cheap; when it is not (a huge plan) at most every
    CRITICAL_PATH_REUSE seconds, so a busy runner cannot keep a core busy."""
    if request.counts is not None:
        return StatsLoaded(orch.dashboard.activity(request.counts))
    cached, now = request.critical, time.monotonic()
    if cached is not None and now - cached[0] < CRITICAL_PATH_REUSE and cached[1] > 0.2:
        return StatsLoaded(orch.dashboard.stats(critical=cached[2]), cached, request.counted)
    critical = orch.queries.critical_path()
    fresh = (time.monotonic(), time.monotonic() - now, critical)
    return StatsLoaded(orch.dashboard.stats(critical=critical), fresh, request.counted)


class Dashboard(VerticalScroll, can_focus=True):
    """The dashboard pane (scroll with j/k, arrows, g/G)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False, id="dashboard.down"),
        Binding("k", "scroll_up", "Up", show=False, id="dashboard.up"),
        Binding("g", "scroll_home", "Top", show=False, id="dashboard.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="dashboard.bottom"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "dashboard--heading",
        "dashboard--muted",
        "dashboard--stale",
        "dashboard--critical",
        "dashboard--bar",
    }

    class Updated(DataMessage):
        """New statistics arrived (the screen passes the critical path on)."""

        stats: DashboardStats

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.stats: DashboardStats | None = None
        self._loaded_at: datetime | None = None  # app clock when `stats` arrived
        self._critical: Critical | None = None  # the last critical path
        self._count_asked = 0  # reloads asked for that count (see `reload`)
        self._counted = -1  # the last of them whose statistics arrived
        self._shown: dict[str, Text] = {}  # what each part shows (see `_show`)
        self._age_timer: Timer | None = None  # the next change of an age shown
        self._refresher: Refresher[StatsRequest, StatsLoaded] = Refresher(
            self, load_stats, itself, "dashboard", title="Dashboard", debounce=DEBOUNCE_SECONDS
        )

    def compose(self) -> ComposeResult:
        yield Static(Text("loading…"), id="dash-summary")
        yield Static(id="dash-bars")
        yield Static(Text("completions per hour, last 24h"), id="dash-spark-label")
        yield Sparkline([], id="dash-spark")
        yield Static(id="dash-critical")
        yield Static(id="dash-agents")
        yield Static(id="dash-spend")
        yield Static(id="dash-events")

    def reload(self, *, debounce: bool = False, fields: frozenset[str] | None = None) -> None:
        """Read the statistics again (`debounce`: after a short wait for more changes).
        `fields`: the task fields the change may have changed (None: anything); when
        the statistics count none of them (a note, a question, an agent's usage),
        only the agents, the recent events and the spend are read again: at 100k
        tasks the counts and the critical path take a second of CPU. Until a reload
        that counts has answered, every reload counts."""
        if fields is None or fields & COUNTED or self.stats is None:
            self._count_asked += 1
        counts = self.stats if self._counted == self._count_asked else None
        request = StatsRequest(self._critical, counts, self._count_asked)
        self._refresher.request(request, debounce=debounce)

    def on_mount(self) -> None:
        # The parts hold text styled when drawn: a new theme redraws them in its colours
        # (the signal comes after the app restyled every node for the theme).
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def _on_theme_changed(self, _theme: object) -> None:
        if self.stats is not None:
            self._draw(self.stats)

    def _tick(self) -> None:
        """Ages (heartbeats) move on between reloads: redraw them from the last stats."""
        if self.stats is not None:
            self._draw_agents(self.stats)

    def _since_loaded(self) -> float:
        if self._loaded_at is None:
            return 0.0
        now: datetime = self.app.clock()  # type: ignore[attr-defined]
        return max(0.0, (now - self._loaded_at).total_seconds())

    @on(StatsLoaded)
    def _on_stats(self, message: StatsLoaded) -> None:
        message.stop()
        self.stats = message.stats
        if message.critical is not None:
            self._critical = message.critical
        if message.counted is not None:
            self._counted = message.counted
        self._loaded_at = self.app.clock()  # type: ignore[attr-defined]
        self._draw(message.stats)
        self.post_message(self.Updated(message.stats))

    def _draw(self, stats: DashboardStats) -> None:
        c = self.get_component_rich_style
        heading, muted = c("dashboard--heading"), c("dashboard--muted")

        summary = Text(end="")
        summary.append(counted(stats.total, "task"), heading)
        summary.append(f"  ready {stats.ready}  waiting {stats.waiting}  ")
        summary.append(f"awaiting approval {stats.awaiting_approval}", heading)
        summary.append("\nprogress ")
        width = max(10, self.scrollable_content_region.width - 30)
        filled = round(width * stats.progress_percent / 100)
        summary.append("█" * filled, c("dashboard--bar"))
        summary.append("░" * (width - filled), muted)
        summary.append(f" {stats.progress_percent:g}% of {stats.estimated_hours_total:g}h", heading)
        self._show("dash-summary", summary)

        bars = Text(end="")
        most = max(stats.by_status.values(), default=0)
        bar_width = max(5, self.scrollable_content_region.width - 26)
        for status in TaskStatus:
            count = stats.by_status.get(status, 0)
            style = status_style(self, status)
            bars.append(f"{STATUS_ICON[status]} {STATUS_LONG[status]:<17}", style)
            bars.append(f"{count:>5} ")
            bars.append(bar(count, most, bar_width), style)
            bars.append("\n")
        bars.rstrip()
        self._show("dash-bars", bars)

        self.query_one("#dash-spark", Sparkline).data = list(stats.completions_per_hour)

        critical = Text(end="")
        critical.append("critical path ", heading)
        if stats.critical_path:
            critical.append(
                f"{counted(len(stats.critical_path), 'task')}, "
                f"{stats.critical_path_hours:g}h remaining\n"
            )
            critical.append(" → ".join(stats.critical_path), c("dashboard--critical"))
        else:
            critical.append("nothing left", muted)
        self._show("dash-critical", critical)

        self._draw_agents(stats)

        spend_box = self.query_one("#dash-spend", Static)
        spend = stats.agent_spend
        spend_box.display = spend is not None and spend.total.runs > 0
        if spend is not None and spend.total.runs:
            self._show("dash-spend", spend_text(spend, heading, muted))

        events = Text(end="")
        events.append("recent events", heading)
        for event in stats.recent_events[:10]:
            events.append("\n  ")
            moment = f"{event.created_at:%H:%M}"
            events.append_text(event_line(event, moment, 80, muted, with_key=True))
        self._show("dash-events", events)

    def _draw_agents(self, stats: DashboardStats) -> None:
        c = self.get_component_rich_style
        heading, muted = c("dashboard--heading"), c("dashboard--muted")
        elapsed = self._since_loaded()
        agents = Text(end="")
        agents.append(f"agents ({len(stats.agents)})", heading)
        changes: list[float] = []
        for agent in stats.agents:
            seconds = agent.heartbeat_age_seconds
            if seconds is not None:
                seconds += elapsed
                changes.append(next_age_change(seconds))
            stale = seconds is None or seconds > AGENT_STALE_AFTER_SECONDS
            agents.append("\n  ")
            agents.append(safe(agent.name, 40))
            agents.append(f" {agent.agent_type.value} ", muted)
            heartbeat = "♥ never" if seconds is None else f"♥ {age(seconds)} ago"
            agents.append(heartbeat, c("dashboard--stale") if stale else "")
        self._show("dash-agents", agents)
        self._tick_at(min(changes, default=None))

    def _tick_at(self, seconds: float | None) -> None:
        """Draw the ages again in `seconds` (None: no age is shown; nothing to wake for)."""
        if self._age_timer is not None:
            self._age_timer.stop()
            self._age_timer = None
        if seconds is not None:
            # a hair later, so that the age reads the next value when drawn
            self._age_timer = self.set_timer(seconds + 0.01, self._tick, name="agent ages")

    def _show(self, part: str, text: Text) -> None:
        """Put `text` in the part `part` unless it shows it already: an update lays
        out the whole screen again, and the ages tick every second."""
        if self._shown.get(part) != text:
            self._shown[part] = text
            self.query_one(f"#{part}", Static).update(text)

    def on_resize(self) -> None:
        if self.stats is not None:
            self._draw(self.stats)


def spend_text(spend: Spend, heading: Style | str, muted: Style | str) -> Text:
    """Total agent spend, per profile, per agent and per day (plain, no markup)."""
    t = spend.total
    text = Text(end="")
    text.append("agent spend ", heading)
    text.append(f"{spent(t.reported_cost)} over {counted(t.runs, 'run')} · {t.tokens:,} tokens")
    for title, rows in (("profile", spend.by_profile), ("agent", spend.by_agent)):
        for row in rows:
            text.append(f"\n  {title} ", muted)
            text.append(
                f"{safe(row.name, 40)} {spent(row.reported_cost)} ({counted(row.runs, 'run')})"
            )
    if spend.by_day:
        most = max(r.cost_usd for r in spend.by_day) or 1.0
        for row in spend.by_day[-7:]:
            text.append(f"\n  {row.name} ", muted)
            text.append(f"{'█' * max(1, round(12 * row.cost_usd / most))} {usd(row.cost_usd)}")
    for plan, why in spend.exhausted_plans.items():
        text.append(f"\n  {safe(why, 80)} (plan {safe(plan, 40)} claims no new tasks)", heading)
    return text
