"""Approvals inbox, dashboard statistics, agents, and launching the TUI."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..domain.enums import AgentType
from ..domain.errors import UsageError
from ..domain.event_text import words
from ..domain.money import spent
from ..domain.text import printable
from ..domain.words import age, counted
from .common import db_url, emit_json, open_from_args, opened_to_fill, say, table, wants_json
from .terminal import require_terminal


def cmd_approvals(args: argparse.Namespace) -> int:
    items = open_from_args(args).queries.waiting_approvals()
    if wants_json(args):
        emit_json(items)
        return 0
    if not items:
        say("nothing is awaiting approval")
        return 0
    table(
        ["KEY", "WAITING SINCE", "RAN BY", "TITLE"],
        (
            [
                w.key,
                f"{w.waiting_since:%Y-%m-%d %H:%M}",
                w.ran_by or "-",
                w.title,
            ]
            for w in items
        ),
    )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    stats = open_from_args(args).dashboard.stats()
    if wants_json(args):
        emit_json(stats)
        return 0
    say(
        f"tasks      {stats.total}  ready {stats.ready}  waiting {stats.waiting}  "
        f"awaiting approval {stats.awaiting_approval}"
    )
    say("status     " + ", ".join(f"{words(s.value)} {n}" for s, n in stats.by_status.items() if n))
    say(f"progress   {stats.progress_percent}% of {stats.estimated_hours_total:g}h estimated")
    say(f"critical   {stats.critical_path_hours:g}h: " + " -> ".join(stats.critical_path))
    for agent in stats.agents:
        seconds = agent.heartbeat_age_seconds
        beat = "never" if seconds is None else f"{age(seconds)} ago"
        say(f"agent      {printable(agent.name)} ({agent.agent_type.value}) heartbeat {beat}")
    spend = stats.agent_spend
    if spend is not None and spend.total.runs:
        t = spend.total
        say(
            f"spend      {spent(t.reported_cost)} over {counted(t.runs, 'agent run')}, "
            f"{t.input_tokens} tokens in, {t.output_tokens} out, {t.cached_tokens} cached"
        )
        for row in spend.by_profile:
            runs = counted(row.runs, "run")
            say(f"  profile  {printable(row.name)}: {spent(row.reported_cost)} ({runs})")
        for row in spend.by_agent:
            runs = counted(row.runs, "run")
            say(f"  agent    {printable(row.name)}: {spent(row.reported_cost)} ({runs})")
    for plan, why in (spend.exhausted_plans if spend else {}).items():
        say(f"stopped    {printable(why)} (plan {printable(plan)} claims no new tasks)")
    return 0


def cmd_agent_list(args: argparse.Namespace) -> int:
    agents = open_from_args(args).agents.list()
    if wants_json(args):
        emit_json(agents)
        return 0
    table(
        ["NAME", "TYPE", "STATUS", "HEARTBEAT", "CAPABILITIES"],
        (
            [
                a.name,
                a.agent_type.value,
                words(a.status.value),
                "-" if a.heartbeat_age_seconds is None else f"{age(a.heartbeat_age_seconds)} ago",
                ", ".join(a.capabilities),
            ]
            for a in agents
        ),
    )
    return 0


def cmd_agent_register(args: argparse.Namespace) -> int:
    with opened_to_fill(args) as orch:
        agent = orch.agents.register(args.name, AgentType(args.type), args.capability or [])
        if wants_json(args):
            emit_json(agent)
        else:
            say(f"agent {printable(agent.name)} registered ({agent.agent_type.value})")
    return 0


def cmd_agent_profiles(args: argparse.Namespace) -> int:
    from ..services.agent_profiles import load_profiles

    profiles = load_profiles()
    if wants_json(args):
        emit_json({name: p.model_dump(mode="json") for name, p in profiles.items()})
        return 0
    table(
        ["PROFILE", "PARSER", "PROMPT", "RESUMES", "TIMEOUT", "ARGV"],
        (
            [
                name,
                p.parser.value,
                p.prompt.value,
                "yes" if p.resume_argv else "no",
                "none" if p.timeout_seconds is None else f"{p.timeout_seconds:g}s",
                printable(" ".join(p.argv)),
            ]
            for name, p in profiles.items()
        ),
    )
    return 0


def cmd_agent_heartbeat(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    orch.agents.heartbeat(args.name)
    if wants_json(args):
        emit_json(next(a for a in orch.agents.list() if a.name == args.name))
        return 0
    say(f"agent {printable(args.name)}: heartbeat recorded")
    return 0


def launch_tui(url: str, actor: str | None, run: bool = False, full_path: bool = False) -> int:
    from ..app import run_app

    return run_app(db_url=url, actor=actor, run=run, full_path=full_path)


def cmd_tui(args: argparse.Namespace) -> int:
    require_terminal()
    return launch_tui(
        db_url(args), getattr(args, "actor", None), getattr(args, "open_runner", False)
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """A fresh copy of the demo data in a temporary folder, opened in the TUI with
    the runner started (unless --no-run), so the demo's tasks run and stream."""
    import tempfile

    from ..config import resolve_actor
    from ..services import open_orchestrator
    from ..services.plans import DEMO_SOURCE, sample_plan_path

    if getattr(args, "open_runner", False) and args.no_run:
        raise UsageError("--run and --no-run contradict each other")
    require_terminal()  # before the demo's files are written
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="orchestrator-demo-"))
    path = folder / "demo.db"
    if path.exists():
        path.unlink()
    orch = open_orchestrator(str(path), "demo-seed")
    orch.plans.load_file(sample_plan_path(), source=DEMO_SOURCE)
    _load_workspace_demo(orch, folder)
    orch.close()
    say(f"demo database: {path}")
    actor = resolve_actor(getattr(args, "actor", None))
    return launch_tui(str(path), actor, not args.no_run, full_path=True)


def _load_workspace_demo(orch: Any, folder: Path) -> None:
    """The demo's git repository and the tasks that work on it in worktrees."""
    from ..services.plans import read_plan_file, sample_plan_path
    from ..workspaces.demo import make_demo_repo
    from ..workspaces.git import WorkspaceError

    try:
        repo = make_demo_repo(folder)
    except WorkspaceError as exc:
        say(f"no workspace demo: {printable(str(exc))}")
        return
    plan_file = sample_plan_path().with_name("demo_workspace_plan.yaml")
    orch.plans.load(read_plan_file(plan_file, relative_to=folder), str(plan_file))
    say(f"demo repository: {repo}")


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("approvals", help="tasks awaiting approval, oldest first", parents=parents)
    p.set_defaults(handler=cmd_approvals)
    p = sub.add_parser("stats", help="dashboard statistics", parents=parents)
    p.set_defaults(handler=cmd_stats)

    agent = sub.add_parser("agent", help="agents (workers) and their heartbeats", parents=parents)
    ags = agent.add_subparsers(dest="agent_command", required=True, metavar="COMMAND")
    ags.add_parser("list", parents=parents, help="list agents").set_defaults(handler=cmd_agent_list)
    p = ags.add_parser("register", parents=parents, help="register (or refresh) an agent")
    p.add_argument("name")
    p.add_argument("--type", choices=[t.value for t in AgentType], default="coding")
    p.add_argument("--capability", action="append")
    p.set_defaults(handler=cmd_agent_register)
    p = ags.add_parser("heartbeat", parents=parents, help="record an agent's heartbeat")
    p.add_argument("name")
    p.set_defaults(handler=cmd_agent_heartbeat)
    p = ags.add_parser(
        "profiles",
        parents=parents,
        help="coding-agent profiles: built-in and from ~/.config/orchestrator-tui/agents.yaml "
        "(or $ORCHESTRATOR_TUI_AGENTS)",
    )
    p.set_defaults(handler=cmd_agent_profiles)

    p = sub.add_parser("tui", help="open the TUI (the default command)", parents=parents)
    # SUPPRESS: left out, a `--run` given before `tui` (read by the top-level parser)
    # stands; a default of False here would overwrite it.
    p.add_argument(
        "--run",
        action="store_true",
        dest="open_runner",
        default=argparse.SUPPRESS,
        help="start the runner at once (ctrl+r toggles it)",
    )
    p.set_defaults(handler=cmd_tui)
    p = sub.add_parser(
        "demo", help="open the TUI on a fresh copy of the demo data", parents=parents
    )
    p.add_argument("--dir", help="folder for the demo database (default: a new temp folder)")
    p.add_argument(
        "--no-run",
        action="store_true",
        help="keep it still: do not start the runner (ctrl+r starts it)",
    )
    p.set_defaults(handler=cmd_demo)
