"""Structured agent reports (seed 000's AgentReport): one JSON document that
moves a task, records progress and keeps the agent's findings as its note."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..domain.enums import TaskStatus
from ..domain.errors import InvalidTransition, ValidationFailed
from ..domain.models import AgentReport, TaskDetail
from ..domain.transitions import Intent
from .base import ServiceContext, find_task
from .collaboration import write_note, write_progress
from .moves import move_one
from .safe_yaml import describe_validation_error, load_json, read_text

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
        """Record the report as the reporting agent, in one transaction: its status
        move (through the one writer of moves), its note, then its progress, judged
        in the status the move left (finished work shows 100%). Any step refused or
        failing leaves nothing of the report written. A `done` report with blocking
        issues contradicts itself and is refused first."""
        if report.status is S.DONE and report.blocking_issues:
            raise ValidationFailed("a report with blocking issues cannot say the task is done")
        from .views import task_detail

        ctx = ServiceContext(self.ctx.db, report.agent_name, self.ctx.clock)
        with ctx.db.write() as conn:
            row = find_task(conn, key)
            current, target = S(row.status), report.status
            already = target is current or (target is S.DONE and current is S.AWAITING_APPROVAL)
            if not already:
                reason = report.error_details or report.summary or None
                move_one(conn, ctx, row, Intent(target, reason=reason))
                row = find_task(conn, key)
            write_note(conn, ctx, row.id, report_note(report))
            if report.progress is not None:
                try:
                    write_progress(conn, ctx, row, report.progress, report.summary[:200])
                except InvalidTransition as exc:
                    raise InvalidTransition(f"after this report {exc}") from None
            return task_detail(conn, find_task(conn, key))
