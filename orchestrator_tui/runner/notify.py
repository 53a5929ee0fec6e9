"""The runner's notifications: a run that settled awaiting approval or failed for
good is announced through the hooks of `services/notify.py`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..services.notify import AWAITING_APPROVAL, FAILED
from ..services.notify import Notifier as Notifier
from ..services.run_model import Outcome
from ..services.runs import Settled


def payload_for(settled: Settled, agent: str) -> dict[str, Any] | None:
    """The JSON payload for a settled run, or None when nobody needs telling."""
    status = settled.task_status
    if status is None:  # nothing was written to the task
        return None
    if settled.outcome is Outcome.AWAITING_APPROVAL:
        event, verb = AWAITING_APPROVAL, "awaiting approval"
    elif settled.failed_for_good:
        event, verb = FAILED, "failed"
    else:
        return None
    text = f"Task {settled.key} {verb}"
    if settled.outputs_uri:
        text += f": {settled.outputs_uri}"
    elif settled.reason:
        text += f": {settled.reason}"
    return {
        "event": event,
        "text": text,
        "task": settled.key,
        "title": settled.title,
        "status": status.value,
        "run_id": settled.run_id,
        "execution_id": settled.execution_id,
        "attempt": settled.attempt,
        "exit_code": settled.exit_code,
        "reason": settled.reason,
        "outputs_uri": settled.outputs_uri,
        "log_excerpt": settled.log_excerpt,
        "agent": agent,
        "at": datetime.now(UTC).isoformat(),
    }
