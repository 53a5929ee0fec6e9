"""Structured agent reports (seed 000's AgentReport): one JSON document that
moves a task, records progress and keeps the agent's findings as its note."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..domain.enums import TaskStatus
from ..domain.errors import InvalidTransition, ValidationFailed
from ..domain.models import AgentReport, TaskDetail
from ..domain.rules import blocker_open, progress_refusal
from .base import ServiceContext
from .collaboration import CollaborationService
from .queries import QueryService
from .safe_yaml import describe_validation_error, load_json, read_text
from .tasks import TaskService

S = TaskStatus


def read_report(text: str, origin: str) -> AgentReport:
    data = load_json(text, origin)
    if not isinstance(data, dict):
        raise ValidationFailed(f"{origin}: an agent report is a JSON object")
    try:
        return AgentReport.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(exc, data, origin) from None


def read_report_file(path: Path) -> AgentReport:
    return read_report(read_text(path), str(path))


def report_note(report: AgentReport) -> str:
    """The report's findings as Markdown for the agent's notes."""
    parts = [f"### Report ({report.status.value})"]
    if report.summary:
        parts.append(report.summary)
    for title, items in (
        ("Artifacts", report.artifacts_created),
        ("Issues found", report.issues_found),
        ("Blocking issues", report.blocking_issues),
    ):
        if items:
            parts.append(f"{title}:\n" + "\n".join(f"- {item}" for item in items))
    if report.outputs:
        parts.append("Outputs:\n" + "\n".join(f"- {k}: {v}" for k, v in report.outputs.items()))
    if report.error_details:
        parts.append(f"Error: {report.error_details}")
    return "\n\n".join(parts)


class ReportService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def apply(self, key: str, report: AgentReport) -> TaskDetail:
        """Record the report as the reporting agent: status first (the step that
        can be refused, so a refused report writes nothing), then its note and
        progress. A `done` report with blocking issues contradicts itself, and so
        does one finishing the work with progress below 100% (`progress_refusal`,
        judged before anything is written)."""
        if report.status is S.DONE and report.blocking_issues:
            raise ValidationFailed("a report with blocking issues cannot say the task is done")
        ctx = ServiceContext(self.ctx.db, report.agent_name, self.ctx.clock)
        queries = QueryService(ctx)
        task = queries.get_task(key)
        current, target = task.status, report.status
        already = target is current or (target is S.DONE and current is S.AWAITING_APPROVAL)
        if report.progress is not None:  # judged as it will be recorded, before anything is
            waiting_for = [b.key for b in task.blockers if blocker_open(b.type, b.status)]
            after = current if already else target
            refusal = progress_refusal(key, after, waiting_for, report.progress)
            if refusal:
                raise InvalidTransition(f"after this report {refusal}")
        if not already:
            reason = report.error_details or report.summary or None
            TaskService(ctx).transition(key, target, reason=reason)
        collab = CollaborationService(ctx)
        collab.note(key, report_note(report))
        if report.progress is not None:
            collab.progress(key, report.progress, report.summary[:200])
        return queries.get_task(key)
