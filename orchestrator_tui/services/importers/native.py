"""Our own formats: the YAML plan (`sample_data/demo_plan.yaml`) and the JSON
export, which is the same PlanSpec document written as JSON with every field
filled in (times absolute, history included), so export then import gives
the same tasks, links and history back.

What the plan format cannot hold is not exported: the audit events, approval
decisions, run ids, and the interleaving of a run's stdout and stderr lines.
"""

from __future__ import annotations

from typing import Any

import yaml
from sqlalchemy import Connection, select

from ...domain.plan import PlanSpec
from ...store.tables import (
    Agent,
    Feedback,
    LogLine,
    Note,
    Participant,
    ProgressRecord,
    Run,
    Task,
    TaskContext,
    TaskDependency,
)
from ..collaboration import parse_context
from ..plans import parse_plan
from .common import Issues, ParsedImport, Progress
from .source import Source

YAML, JSON = "yaml", "json"


def looks_like(data: Any) -> bool:
    tasks = data.get("tasks") if isinstance(data, dict) else None
    return isinstance(tasks, list) and all(isinstance(t, dict) and "key" in t for t in tasks[:5])


def detect_yaml(source: Source) -> bool:
    return not source.is_dir and source.suffix in (".yaml", ".yml")


def detect_json(source: Source) -> bool:
    return not source.is_dir and source.suffix == ".json" and looks_like(source.json)


def parse_yaml(source: Source, issues: Issues, progress: Progress | None = None) -> ParsedImport:
    # Workspace paths relative to the plan file's folder, as `db seed --plan` reads them.
    plan = parse_plan(source.yaml, source.origin).resolve_paths(source.path.parent.resolve())
    return ParsedImport(YAML, source.origin, plan, {}, issues.warnings, issues.notices)


def parse_json(source: Source, issues: Issues, progress: Progress | None = None) -> ParsedImport:
    plan = parse_plan(source.json, source.origin)
    return ParsedImport(JSON, source.origin, plan, {}, issues.warnings, issues.notices)


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _by_task(conn: Connection, table: Any, order: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in conn.execute(select(table).order_by(table.c.task_id, order)):
        out.setdefault(row.task_id, []).append(row)
    return out


def plan_document(conn: Connection, name: str = "export") -> dict[str, Any]:
    """Every task, link, agent and history row as a plan document."""
    t = Task.__table__
    rows = conn.execute(select(t).order_by(t.c.id)).all()
    keys = {r.id: r.key for r in rows}
    deps: dict[int, list[dict[str, str]]] = {}
    d = TaskDependency.__table__
    for dep in conn.execute(select(d).order_by(d.c.id)):
        deps.setdefault(dep.task_id, []).append(
            {"key": keys[dep.depends_on_id], "type": dep.dep_type}
        )
    progress = _by_task(conn, ProgressRecord.__table__, ProgressRecord.__table__.c.id)
    notes = _by_task(conn, Note.__table__, Note.__table__.c.id)
    people = _by_task(conn, Participant.__table__, Participant.__table__.c.id)
    feedback = _by_task(conn, Feedback.__table__, Feedback.__table__.c.id)
    runs = _by_task(conn, Run.__table__, Run.__table__.c.attempt)
    contexts = {c.task_id: c.yaml_text for c in conn.execute(select(TaskContext.__table__))}
    tasks = []
    for r in rows:
        task: dict[str, Any] = {
            "key": r.key,
            "title": r.title,
            "description": r.description,
            "status": r.status,
            "priority": r.priority,
            "complexity": r.complexity,
            "component_area": r.component_area,
            "phase": r.phase,
            "parent": keys.get(r.parent_id) if r.parent_id else None,
            "assignee": r.assignee,
            "agent_type": r.agent_type,
            "estimated_hours": r.estimated_hours,
            "actual_hours": r.actual_hours,
            "deadline": _iso(r.deadline),
            "success_criteria": r.success_criteria,
            "requires_approval": r.requires_approval,
            "command": r.command,
            "max_retries": r.max_retries,
            "tags": r.tags,
            "extra": r.extra,
            "progress": r.progress,
            "depends_on": deps.get(r.id, []),
            "source": r.source,
            "external_id": r.external_id,
            "created": _iso(r.created_at),
            "updated": _iso(r.updated_at),
            "started": _iso(r.started_at),
            "completed": _iso(r.completed_at),
            "completion_summary": r.completion_summary,
        }
        if r.id in contexts:
            task["context"] = parse_context(contexts[r.id] or "")
        if r.id in notes:
            task["notes"] = {n.author: n.body for n in notes[r.id]}
        if r.id in progress:
            task["progress_history"] = [
                {
                    "percent": p.percent,
                    "message": p.message,
                    "by": p.actor,
                    "at": _iso(p.created_at),
                }
                for p in progress[r.id]
            ]
        if r.id in people:
            task["participants"] = [
                {"agent": p.agent, "role": p.role, "joined": _iso(p.joined_at)}
                for p in people[r.id]
            ]
        if r.id in feedback:
            task["feedback"] = [
                {
                    "quality": f.quality,
                    "timeliness": f.timeliness,
                    "notes": f.notes,
                    "by": f.actor,
                    "at": _iso(f.created_at),
                }
                for f in feedback[r.id]
            ]
        if r.id in runs:
            task["runs"] = [_run(conn, run) for run in runs[r.id]]
        tasks.append(task)
    agents = [
        {
            "name": a.name,
            "type": a.agent_type,
            "capabilities": a.capabilities,
            "last_heartbeat": _iso(a.last_heartbeat),
        }
        for a in conn.execute(select(Agent.__table__).order_by(Agent.__table__.c.id))
    ]
    return {"version": 1, "name": name, "agents": agents, "tasks": tasks}


def _run(conn: Connection, run: Any) -> dict[str, Any]:
    lines = LogLine.__table__
    out: dict[str, list[str]] = {"stdout": [], "stderr": []}
    for line in conn.execute(
        select(lines.c.stream, lines.c.text).where(lines.c.run_id == run.id).order_by(lines.c.seq)
    ):
        out["stderr" if line.stream == "stderr" else "stdout"].append(line.text)
    return {
        "agent": run.agent,
        "status": run.status,
        "exit_code": run.exit_code,
        "started": _iso(run.started_at),
        "ended": _iso(run.ended_at),
        "outputs": run.outputs,
        "outputs_uri": run.outputs_uri,
        "error": run.error,
        "cancel_requested": run.cancel_requested,
        "log": "\n".join(out["stdout"]),
        "stderr": "\n".join(out["stderr"]),
    }


def dump(document: dict[str, Any], fmt: str) -> str:
    PlanSpec.model_validate(document)  # what we write, we can read back
    if fmt == YAML:
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    import json

    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
