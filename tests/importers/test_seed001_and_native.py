"""Seed 001's SQLite database and our own YAML plan and JSON export."""

from __future__ import annotations

from datetime import UTC, datetime

from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services.importers import detect_format, export_path, import_path

from .conftest import FIXTURES, dump, fresh


def test_seed001_database_and_its_files(orch, seed001_db):
    assert detect_format(seed001_db) == "seed-001"
    report = import_path(orch, seed001_db)
    assert report.added == 3
    api = orch.queries.get_task("to-abc12345")
    assert api.status.value == "done" and api.priority.value == "high"
    assert api.success_criteria == ["All tests pass"]
    assert api.estimated_hours == 8.0 and api.actual_hours == 6.5
    assert api.deadline == datetime(2025, 2, 1, tzinfo=UTC)
    assert api.extra["notifications"][0]["message"] == "API designed"
    assert orch.queries.feedback_for("to-abc12345")[0].quality == 5
    ui = orch.queries.get_task("to-def67890")
    assert [b.key for b in ui.blockers] == ["to-abc12345"]
    assert {p.agent for p in orch.queries.participants_for("to-def67890")} == {
        "qa_tester",
        "frontend_dev",
    }
    assert [p.percent for p in orch.queries.progress_for("to-def67890")] == [25, 50]
    assert "Handle loading states" in orch.queries.notes_for("to-def67890")[0].body
    assert orch.queries.context_data("to-def67890")["decisions"][0]["decision"] == "Use PostgreSQL"
    assert orch.queries.get_task("to-0a1b2c3d").priority.value == "critical"


def test_yaml_plan_imports_and_reimports(orch):
    plan = FIXTURES / "plan.yaml"
    first = import_path(orch, plan)
    assert (first.format, first.added) == ("yaml", 3)
    assert orch.queries.get_task("P-3").parent == "P-2"
    assert import_path(orch, plan).unchanged == 3


def test_json_export_round_trips_exactly(orch, tmp_path, seed001_db, databases):
    import_path(orch, FIXTURES / "taskmaster" / "tasks.json")
    import_path(orch, FIXTURES / "backlog")
    import_path(orch, seed001_db)
    import_path(orch, FIXTURES / "plan.yaml")
    orch.collab.progress("P-2", 40, "halfway")
    out = tmp_path / "all.json"
    assert export_path(orch, out).tasks == 20
    other = fresh(databases, "other")
    assert import_path(other, out).added == 20
    assert dump(other) == dump(orch)
    again = tmp_path / "again.json"
    export_path(other, again)
    assert again.read_text().replace('"again"', '"all"', 1) == out.read_text()
    other.close()
    back = import_path(orch, out)  # into the database it came from: nothing to change
    assert (back.added, back.changed, back.unchanged) == (0, 0, 20)


def test_yaml_export_reads_back(orch, tmp_path, databases):
    import_path(orch, FIXTURES / "plan.yaml")
    out = tmp_path / "plan.yaml"
    export_path(orch, out)
    other = fresh(databases, "other")
    import_path(other, out)
    assert dump(other) == dump(orch)
    other.close()


def cancelled_runs(orch, *keys: str) -> None:
    """A running run of each of `keys`; STOP's asked to stop (still stopping) and
    CLOSED's cancelled and closed."""
    for key in keys:
        orch.tasks.create(TaskSpec(key=key, title=key, command=CommandSpec(argv=["true"])))
    claims = {c.key: c for c in orch.runs.claim("r1", 30, limit=len(keys))}
    orch.runs.cancel("STOP", "wrong branch")
    orch.runs.cancel("CLOSED", "not needed")
    orch.runs.close_cancelled(claims["CLOSED"].run_id)


def test_json_export_keeps_who_asked_a_run_to_stop(orch, tmp_path, databases):
    cancelled_runs(orch, *("STOP", "CLOSED"))
    out = tmp_path / "runs.json"
    export_path(orch, out)
    other = fresh(databases, "other")
    import_path(other, out)

    def runs(o, key):
        return [
            (r.status, r.state_text, r.error, r.cancel_requested) for r in o.queries.runs_for(key)
        ]

    stop = "run cancelled by tester: wrong branch"
    assert runs(other, "STOP") == runs(orch, "STOP")
    assert runs(other, "STOP")[0][1:] == (f"stopping ({stop})", None, stop)
    assert runs(other, "CLOSED") == runs(orch, "CLOSED")
    other.close()


def test_a_version_5_json_export_of_a_run_being_stopped_imports_stopping(orch, tmp_path, databases):
    """Version 5 exported no `cancel_requested`: who asked a running run to stop was
    its `error`. Such a run imports as the schema-6 migration rewrites it: stopping,
    its reason in `cancel_requested`, no error; every other run as it was."""
    import json

    cancelled_runs(orch, *("STOP", "CLOSED", "RUN"))
    out = tmp_path / "runs.json"
    export_path(orch, out)
    document = json.loads(out.read_text())
    for task in document["tasks"]:
        for run in task.get("runs", []):  # as version 5 wrote it
            asked = run.pop("cancel_requested")
            if run["status"] == "running" and asked:
                run["error"] = asked
    assert "cancel_requested" not in json.dumps(document)
    old = tmp_path / "version-5.json"
    old.write_text(json.dumps(document))
    other = fresh(databases, "other")
    assert import_path(other, old).added == 3

    def runs(o, key):
        return [(r.status, r.state_text, r.error) for r in o.queries.runs_for(key)]

    stop = "run cancelled by tester: wrong branch"
    (stopping,) = other.queries.runs_for("STOP")
    assert (stopping.state_text, stopping.error, stopping.cancel_requested) == (
        f"stopping ({stop})",
        None,
        stop,
    )
    for key in ("STOP", "CLOSED", "RUN"):
        assert runs(other, key) == runs(orch, key)
    (running,) = other.queries.runs_for("RUN")
    assert (running.error, running.cancel_requested) == (None, None)
    other.close()
