"""`orchestrator-tui task ...`: every task operation, over the services."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..domain.command_text import limits, what_runs
from ..domain.enums import (
    AgentType,
    Complexity,
    ComponentArea,
    DependencyType,
    Priority,
    Readiness,
    TaskStatus,
)
from ..domain.errors import OrchestratorError
from ..domain.event_text import event_sentence, words
from ..domain.state_machine import VERB_TARGETS
from ..domain.text import printable
from ..store.quick_sql import SORT_SQL
from .command_options import add_command_options, command_from_args, says_command
from .common import (
    count,
    db_url,
    emit_json,
    open_from_args,
    opened_to_fill,
    say,
    subcommand_adder,
    table,
    to_jsonable,
    wants_json,
)

if TYPE_CHECKING:  # the models load pydantic, which the reads that print text skip
    from ..domain.models import TaskDetail, TaskRow, TreeNode

Read = TypeVar("Read")


def _answer(
    args: argparse.Namespace,
    quick: Callable[[Any], Read],
    full: Callable[[Any], Read],
    plain: bool = True,
    for_json: bool = False,
) -> Read:
    """`quick(reads)` over the standard-library reads of a SQLite file when they
    can answer (no SQLAlchemy to import: the commands agents call in a loop),
    else `full(queries)` over the services, which also give every error. With
    `plain`, the quick reads answer with plain rows (no pydantic to import either):
    what prints them reads only what both kinds hold (`store/row_fields.py`);
    `for_json`, rows written as JSON as their views write them."""
    import sqlite3

    from ..store.quick_reads import GiveUp, open_reads

    reads = open_reads(db_url(args), plain=plain, for_json=for_json)
    if reads is not None:
        try:
            return quick(reads)
        except (GiveUp, sqlite3.Error):
            pass
        finally:
            reads.close()
    return full(open_from_args(args).queries)


def _show_result(args: argparse.Namespace, task: TaskDetail, verb: str) -> int:
    if wants_json(args):
        emit_json(task)
    else:
        say(f"{task.key} {verb}: now {words(task.status.value)}")
    return 0


def _said(args: argparse.Namespace, orch: Any, line: str) -> int:
    """A write done: the task as it now is with --json, else one line for a person."""
    if wants_json(args):
        emit_json(orch.queries.get_task(args.key))
    else:
        say(line)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    text = args.filter or ""
    statuses = frozenset(TaskStatus(s) for s in args.status or [])
    readiness = frozenset(Readiness(r) for r in args.readiness or [])

    def full(queries: Any) -> list[TaskRow]:
        from ..services.queries import TaskFilter

        flt = TaskFilter(text=text, statuses=statuses, readiness=readiness, assignee=args.assignee)
        return queries.list_tasks(flt, sort=args.sort, descending=args.desc, limit=args.limit)

    def quick(reads: Any) -> list[TaskRow]:
        return reads.list_tasks(
            text, statuses, readiness, args.assignee, args.sort, args.desc, args.limit
        )

    rows = _answer(args, quick, full)
    if wants_json(args):
        emit_json(rows)
        return 0
    table(
        ["KEY", "STATUS", "READY", "PRIORITY", "ASSIGNEE", "PROG", "TITLE"],
        (
            [
                r.key,
                words(r.status.value),
                r.readiness.value,
                r.priority.value,
                r.assignee or "-",
                f"{r.progress}%",
                r.title,
            ]
            for r in rows
        ),
    )
    return 0


def _shown(
    queries: Any, key: str, everything: bool
) -> tuple[TaskDetail, list[Any], dict[str, Any]]:
    """The task, its timeline, and its newest run (or, for --json, the rest of its history)."""
    task = queries.get_task(key)
    events = queries.timeline(key)
    if not everything:
        return task, events, {"last_run": queries.last_run_state(key)}
    return (
        task,
        events,
        {
            "approvals": queries.approvals_for(key),
            "progress_history": queries.progress_for(key),
            "notes": queries.notes_for(key),
            "context": queries.context_for(key),
        },
    )


def cmd_show(args: argparse.Namespace) -> int:
    def read(queries: Any) -> tuple[TaskDetail, list[Any], dict[str, Any]]:
        return _shown(queries, args.key, wants_json(args))

    # Plain rows or the views: `to_jsonable` writes either as the view does.
    task, events, more = _answer(args, read, read, for_json=wants_json(args))
    if wants_json(args):
        payload: dict[str, Any] = to_jsonable(task)
        payload["timeline"] = to_jsonable(events)
        for part in ("approvals", "progress_history", "notes", "context"):
            payload[part] = to_jsonable(more[part])
        emit_json(payload)
        return 0
    p = printable
    say(f"{task.key}  {p(task.title)}")
    say(f"  status     {words(task.status.value)} ({task.readiness.value})")
    area = task.component_area.value
    say(f"  priority   {task.priority.value}   phase {task.phase}   area {area}")
    say(f"  assignee   {p(task.assignee or '-')}   progress {task.progress}%")
    if task.estimated_hours is not None:
        say(f"  estimate   {task.estimated_hours}h")
    if task.requires_approval:
        say("  approval   required")
    for label, text in _command_lines(task.command, _agent_timeout(args, task)):
        say(f"  {label:<9}  {p(text)}")
    if more.get("last_run"):
        say(f"  last run   {p(more['last_run'])}")
    if task.blockers:
        say(
            "  waits for  " + ", ".join(f"{b.key} ({words(b.status.value)})" for b in task.blockers)
        )
    if task.dependents:
        say(
            "  blocks     "
            + ", ".join(f"{d.key} ({words(d.status.value)})" for d in task.dependents)
        )
    if task.description:
        say("")
        for line in task.description.splitlines():
            say("  " + p(line))
    for c in task.success_criteria:
        say(f"  [criterion] {p(c)}")
    if events:
        say("")
        say("  timeline")
        for e in events[-15:]:
            what = event_sentence(e.kind, e.data)  # as `EventView.summary()`, for plain rows too
            say(f"    {e.created_at:%Y-%m-%d %H:%M}  {p(e.actor)}  {p(what)}")
    return 0


def _agent_timeout(args: argparse.Namespace, task: Any) -> float | None:
    """The timeout a run of `task` gets from its agent profile, when it sets none."""
    from types import SimpleNamespace

    from ..config import profiles_path
    from ..domain.command_text import builtin_profile_timeout

    command = task.command
    if command is None or command.agent is None or command.timeout_seconds is not None:
        return None
    if isinstance(command, SimpleNamespace):  # a plain read: no models loaded
        try:
            own_profiles = profiles_path().is_file()
        except OrchestratorError:  # a variable naming no file: the runner refuses to start
            return None
        if command.agent.definition is None and not own_profiles:
            return builtin_profile_timeout(command.agent.profile)
        command = open_from_args(args).queries.get_task(task.key).command
    from ..services.agent_profiles import agent_timeout

    return agent_timeout(command)


def _command_lines(command: Any, agent_timeout: float | None = None) -> list[tuple[str, str]]:
    """What `task show` says a task runs, where its worktree comes from, and what
    stops a run (its timeout, else its agent profile's, and its budget)."""
    if command is None:
        return []
    lines = [what_runs(command)]
    if (workspace := command.workspace) is not None:
        lines.append(("workspace", f"{workspace.repo} (a worktree from {workspace.base})"))
    elif command.cwd:
        lines.append(("cwd", str(command.cwd)))
    return lines + limits(command, agent_timeout)


def cmd_add(args: argparse.Namespace) -> int:
    from ..domain.models import TaskSpec

    spec = TaskSpec(
        key=args.key,
        title=args.title,
        description=args.description or "",
        priority=args.priority,
        complexity=args.complexity,
        component_area=args.component,
        phase=args.phase,
        parent=args.parent,
        assignee=args.assignee,
        agent_type=args.agent_type,
        estimated_hours=args.estimate,
        success_criteria=args.criterion or [],
        requires_approval=args.requires_approval,
        command=command_from_args(args),
        max_retries=args.max_retries,
        tags=args.tag or [],
        depends_on=args.depends_on or [],
    )
    # A database made for this task is removed again if the task is refused.
    with opened_to_fill(args) as orch:
        return _show_result(args, orch.tasks.create(spec), "added")


def cmd_edit(args: argparse.Namespace) -> int:
    fields = {
        name: getattr(args, name)
        for name in (
            "title",
            "description",
            "priority",
            "complexity",
            "phase",
            "assignee",
            "estimated_hours",
            "requires_approval",
            "max_retries",
        )
        if getattr(args, name, None) is not None
    }
    if args.component is not None:
        fields["component_area"] = args.component
    if args.agent_type is not None:
        fields["agent_type"] = args.agent_type
    orch = open_from_args(args)
    version = None
    if says_command(args):
        # only the parts given change: laid over the command read here, and written
        # only if the task is still at the version read
        current = orch.queries.get_task(args.key)
        fields["command"] = command_from_args(args, current.command)
        version = current.version
    from ..domain.models import TaskPatch

    task = orch.tasks.edit(args.key, TaskPatch(**fields), expected_version=version)
    return _show_result(args, task, "edited")


def _transition(verb: str) -> Any:
    target, said = VERB_TARGETS[verb], {"done": "finished"}.get(verb, f"{verb} ok")

    def run(args: argparse.Namespace) -> int:
        tasks = open_from_args(args).tasks
        how = {"force": getattr(args, "force", False), "reason": getattr(args, "reason", None)}
        if wants_json(args):
            return _show_result(args, tasks.transition(args.key, target, **how), said)
        # Text needs only the status the move wrote: no task view, so no pydantic.
        move = tasks.move(args.key, target, **how)
        say(f"{move.key} {said}: now {words(move.target.value)}")
        return 0

    return run


def cmd_undo(args: argparse.Namespace) -> int:
    task = open_from_args(args).tasks.undo_last()
    return _show_result(args, task, "reverted")


def cmd_approve(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    task = orch.approvals.approve(args.key, args.comment or "")
    _show_result(args, task, "approved")
    if not wants_json(args) and (branch := orch.approvals.branch_outcome(task)):
        say(f"  {branch}")
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    task = open_from_args(args).approvals.reject(args.key, args.comment)
    return _show_result(args, task, "rejected")


def cmd_request_changes(args: argparse.Namespace) -> int:
    task = open_from_args(args).approvals.request_changes(args.key, args.comment)
    return _show_result(args, task, "sent back for changes")


def cmd_progress(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    orch.collab.progress(args.key, args.percent, args.message or "")
    return _said(args, orch, f"{args.key}: progress {args.percent}%")


def cmd_note(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    orch = open_from_args(args)
    orch.collab.note(args.key, text, replace=args.replace)
    return _said(args, orch, f"{args.key}: note saved")


def cmd_context(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    if args.set is not None:
        text = sys.stdin.read() if args.set == "-" else _read_file(args.set)
        orch.collab.set_context(args.key, text)
        return _said(args, orch, f"{args.key}: shared context saved")
    if wants_json(args):
        emit_json(orch.queries.context_data(args.key))
    else:
        sys.stdout.write(printable_block(orch.queries.context_for(args.key)))
    return 0


def _read_file(path: str) -> str:
    from ..services.safe_yaml import read_text

    return read_text(Path(path))


def printable_block(text: str) -> str:
    return "\n".join(printable(line) for line in text.splitlines()) + ("\n" if text else "")


def cmd_feedback(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    orch.collab.feedback(args.key, args.quality, args.timeliness, args.notes or "")
    return _said(args, orch, f"{args.key}: feedback saved")


def cmd_join(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    orch.collab.join(args.key, args.agent, args.role or "")
    return _said(args, orch, f"{args.key}: {printable(args.agent)} joined")


def cmd_report(args: argparse.Namespace) -> int:
    from ..services.reports import read_report, read_report_file

    if args.file == "-":
        report = read_report(sys.stdin.read(), "<stdin>")
    else:
        report = read_report_file(Path(args.file))
    task = open_from_args(args).reports.apply(args.key, report)
    return _show_result(args, task, f"report from {printable(report.agent_name)} recorded")


def cmd_next(args: argparse.Namespace) -> int:
    def read(queries: Any) -> TaskRow | None:
        return queries.next_ready(args.agent_type)

    row = _answer(args, read, read)
    if wants_json(args):
        emit_json(row)
        return 0
    if row is None:
        say("no task is ready")
        return 0
    say(f"{row.key}  {row.priority.value}  {printable(row.title)}")
    return 0


def _print_tree(node: TreeNode, depth: int = 0) -> None:
    mark = " *" if node.on_critical_path else ""
    indent = "  " * depth
    say(f"{indent}{node.key} [{words(node.status.value)}] {printable(node.title)}{mark}")
    for child in node.children:
        _print_tree(child, depth + 1)


def cmd_deps(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    critical = orch.queries.critical_path()[0]  # once for both trees
    up = orch.queries.tree(args.key, upstream=True, critical=critical)
    down = orch.queries.tree(args.key, upstream=False, critical=critical)
    if wants_json(args):
        emit_json({"upstream": up, "downstream": down})
        return 0
    say("waits for (upstream; * = critical path):")
    for child in up.children:
        _print_tree(child, 1)
    say("waited on by (downstream):")
    for child in down.children:
        _print_tree(child, 1)
    return 0


def cmd_depend(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    orch.deps.add(args.key, args.on, DependencyType(args.type))
    return _said(args, orch, f"{args.key} now waits for {args.on}")


def cmd_undepend(args: argparse.Namespace) -> int:
    orch = open_from_args(args)
    orch.deps.remove(args.key, args.on)
    return _said(args, orch, f"{args.key} no longer waits for {args.on}")


def cmd_timeline(args: argparse.Namespace) -> int:
    events = open_from_args(args).queries.timeline(args.key)
    if wants_json(args):
        emit_json(events)
        return 0
    table(
        ["TIME", "ACTOR", "EVENT", "DETAIL"],
        ([f"{e.created_at:%Y-%m-%d %H:%M:%S}", e.actor, e.kind, e.summary()] for e in events),
    )
    return 0


def _task_fields(p: argparse.ArgumentParser, editing: bool) -> None:
    p.add_argument("--description", default=None)
    p.add_argument(
        "--priority", choices=[v.value for v in Priority], default=None if editing else "medium"
    )
    p.add_argument(
        "--complexity", choices=[v.value for v in Complexity], default=None if editing else "medium"
    )
    p.add_argument(
        "--component",
        choices=[v.value for v in ComponentArea],
        default=None if editing else "general",
    )
    p.add_argument("--phase", type=int, default=None if editing else 1)
    p.add_argument("--assignee", default=None)
    p.add_argument("--agent-type", choices=[v.value for v in AgentType], default=None)
    p.add_argument(
        "--estimate",
        dest="estimated_hours" if editing else "estimate",
        type=float,
        default=None,
        metavar="HOURS",
    )
    p.add_argument("--max-retries", type=count, default=None if editing else 0)
    p.add_argument(
        "--requires-approval",
        action=argparse.BooleanOptionalAction,
        default=None if editing else False,
    )
    add_command_options(p, editing)


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    task = sub.add_parser("task", help="work with tasks", parents=parents)
    ts = task.add_subparsers(dest="task_command", required=True, metavar="COMMAND")
    add = subcommand_adder(ts, parents)

    p = add("list", cmd_list, "list tasks")
    p.add_argument("--status", action="append", choices=[s.value for s in TaskStatus])
    p.add_argument("--readiness", action="append", choices=[r.value for r in Readiness])
    p.add_argument("--ready", dest="readiness", action="append_const", const="ready")
    p.add_argument("--filter", help="text in key or title")
    p.add_argument("--assignee")
    p.add_argument("--sort", choices=list(SORT_SQL), default="id")
    p.add_argument("--desc", action="store_true")
    p.add_argument("--limit", type=count)

    add("show", cmd_show, "show one task with its history").add_argument("key")

    p = add("add", cmd_add, "add a task (a command to run goes after --)")
    p.add_argument("title")
    p.add_argument("--key")
    p.add_argument("--parent", metavar="KEY")
    p.add_argument("--depends-on", action="append", metavar="KEY")
    p.add_argument("--criterion", action="append", help="a success criterion (repeatable)")
    p.add_argument("--tag", action="append")
    _task_fields(p, editing=False)

    p = add("edit", cmd_edit, "change a task's fields")
    p.add_argument("key")
    p.add_argument("--title")
    _task_fields(p, editing=True)

    verbs = {  # one per VERB_TARGETS entry
        "start": "start a task (--force --reason R if its dependencies are unfinished)",
        "done": "finish a task (goes to awaiting approval when approval is required)",
        "fail": "mark a task failed",
        "block": "mark a task blocked",
        "reset": "put a task back to pending",
        "defer": "defer a pending task",
        "cancel": "cancel a task",
    }
    for verb, help_text in verbs.items():
        p = add(verb, _transition(verb), help_text)
        p.add_argument("key")
        p.add_argument("--reason", "--summary", dest="reason")
        if verb == "start":
            p.add_argument("--force", action="store_true")

    add("undo", cmd_undo, "undo your last status change or decision (recorded as a reversal)")

    p = add("approve", cmd_approve, "approve a task awaiting approval")
    p.add_argument("key")
    p.add_argument("--comment")
    p = add("reject", cmd_reject, "reject a task awaiting approval (comment required)")
    p.add_argument("key")
    p.add_argument("--comment", required=True)
    p = add(
        "request-changes",
        cmd_request_changes,
        "send a task awaiting approval back to ready with what to change (comment required)",
    )
    p.add_argument("key")
    p.add_argument("--comment", required=True)

    p = add("progress", cmd_progress, "report progress 0-100")
    p.add_argument("key")
    p.add_argument("percent", type=int)
    p.add_argument("message", nargs="?")

    p = add("note", cmd_note, "append to your private Markdown notes (- reads stdin)")
    p.add_argument("key")
    p.add_argument("text")
    p.add_argument("--replace", action="store_true")

    p = add("context", cmd_context, "show, or --set FILE|-, the shared YAML context")
    p.add_argument("key")
    p.add_argument("--set", metavar="FILE")

    p = add("feedback", cmd_feedback, "rate finished work 1-5")
    p.add_argument("key")
    p.add_argument("--quality", type=int, required=True)
    p.add_argument("--timeliness", type=int, required=True)
    p.add_argument("--notes")

    p = add("join", cmd_join, "add a participant with a role")
    p.add_argument("key")
    p.add_argument("agent")
    p.add_argument("--role")

    p = add("report", cmd_report, "apply an agent's JSON report (status, progress, findings)")
    p.add_argument("key")
    p.add_argument("file", help="a JSON AgentReport file, or - for stdin")

    p = add("next", cmd_next, "the next ready task")
    p.add_argument("--agent-type", choices=[v.value for v in AgentType])

    add("deps", cmd_deps, "upstream and downstream trees").add_argument("key")
    add("timeline", cmd_timeline, "every recorded event of a task").add_argument("key")

    for name, handler, help_text in (
        ("depend", cmd_depend, "KEY waits for ON"),
        ("undepend", cmd_undepend, "KEY no longer waits for ON"),
    ):
        p = add(name, handler, help_text)
        p.add_argument("key")
        p.add_argument("on")
        if name == "depend":
            p.add_argument("--type", choices=[t.value for t in DependencyType], default="blocks")
