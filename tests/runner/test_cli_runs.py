"""`task runs`, `task logs` (plain, JSON, follow) and the colour-only filter."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from orchestrator_tui.domain.enums import RunStatus
from orchestrator_tui.domain.errors import ExitCode
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.domain.text import colours_only
from orchestrator_tui.runner import Runner
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.runs import RunResult

from .helpers import cli, fast_config, wait_for

NASTY = (
    "print('\\x1b[32mgreen\\x1b[0m \\x1b]52;c;cHduZWQ=\\x07clip \\x1b]0;title\\x07'"
    " + '\\x1b[2Jcleared')\n"
    "print('::output k=v', flush=True)\n"
    "import sys, time; time.sleep(0.1); print('oops', file=sys.stderr)"
)


def run_all(orch: Orchestrator) -> None:
    Runner(orch.as_actor("test-runner"), fast_config()).serve()


def test_runs_and_plain_logs_strip_every_escape(orch: Orchestrator, db_url: str) -> None:
    command = CommandSpec(argv=[sys.executable, "-c", NASTY])
    orch.tasks.create(TaskSpec(key="A", title="escapes", command=command))
    run_all(orch)
    runs = cli(db_url, "task", "runs", "A")
    assert runs.code == 0
    header, row = runs.out.splitlines()
    assert header.split()[:4] == ["RUN", "ATTEMPT", "STATUS", "EXIT"]
    assert row.split()[1:4] == ["1", "succeeded", "0"] and "k=v" in row

    logs = cli(db_url, "task", "logs", "A")
    assert logs.code == 0
    assert logs.out.splitlines() == ["green clip cleared", "::output k=v", "oops"]
    assert "\x1b" not in logs.out and "\x07" not in logs.out

    as_json = cli(db_url, "task", "logs", "A", "--json").json()
    assert as_json["run"]["outputs"] == {"k": "v"}
    assert [(line["stream"], line["seq"]) for line in as_json["lines"]] == [
        ("stdout", 0),
        ("stdout", 1),
        ("stderr", 2),
    ]
    assert as_json["lines"][0]["text"].startswith("\x1b[32mgreen")  # stored as printed

    missing = cli(db_url, "task", "logs", "A", "--run", "999")
    assert missing.code == 3 and "has no run 999" in missing.err


def test_follow_prints_lines_as_they_come_and_ends_with_the_task(
    orch: Orchestrator, db_url: str
) -> None:
    code = (
        "import time\nfor i in range(5):\n    print('tick', i, flush=True)\n    time.sleep(0.1)\n"
        "raise SystemExit(1)"
    )
    command = CommandSpec(argv=[sys.executable, "-c", code])
    orch.tasks.create(TaskSpec(key="A", title="ticks", command=command, max_retries=1))
    follower = subprocess.Popen(
        [sys.executable, "-m", "orchestrator_tui", "--db", db_url, "task", "logs", "A", "-f"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert follower.stderr is not None
    assert follower.stderr.readline() == "waiting for A to start...\n"
    runner = threading.Thread(target=run_all, args=(orch,))
    runner.start()
    out, err = follower.communicate(timeout=60)
    runner.join(60)
    assert follower.returncode == 0, err
    ticks = [f"tick {i}" for i in range(5)]
    assert out.splitlines() == ticks + ticks  # both attempts, in order
    assert "--- run 2 (attempt 2) ---" in err


def test_logs_of_a_run_that_wrote_nothing_say_so_aside(orch: Orchestrator, db_url: str) -> None:
    """As the log pane says it; on stderr, so a pipe of the output stays empty; exit 0
    (the run exists: exit 3 is for a task that has not run)."""
    silent = CommandSpec(argv=[sys.executable, "-c", "raise SystemExit(2)"])
    orch.tasks.create(TaskSpec(key="A", title="silent", command=silent, max_retries=0))
    run_all(orch)
    logs = cli(db_url, "task", "logs", "A")
    assert (logs.code, logs.out) == (0, "")
    assert logs.err == "this run wrote no output: exit code 2\n"
    followed = cli(db_url, "task", "logs", "A", "--follow")
    assert (followed.code, followed.out, followed.err) == (0, "", logs.err)
    as_json = cli(db_url, "task", "logs", "A", "--json")
    assert (as_json.code, as_json.err, as_json.json()["lines"]) == (0, "", [])


def test_task_show_says_how_the_last_run_ended(orch: Orchestrator, db_url: str, tmp_path) -> None:
    """In the log pane's words, so the reason is there without reading the timeline."""
    gone = tmp_path / "gone"
    nowhere = CommandSpec(argv=[sys.executable, "-c", "pass"], cwd=str(gone))
    orch.tasks.create(TaskSpec(key="A", title="no folder", command=nowhere, max_retries=0))
    exits = CommandSpec(argv=[sys.executable, "-c", "raise SystemExit(3)"])
    orch.tasks.create(TaskSpec(key="B", title="exits 3", command=exits, max_retries=0))
    run_all(orch)
    shown = cli(db_url, "task", "show", "A").out.splitlines()
    assert f"  last run   #1 failed: working directory {gone} does not exist" in shown, shown
    shown = cli(db_url, "task", "show", "B").out.splitlines()
    assert "  last run   #2 failed (exit 3)" in shown, shown


def test_colours_only_keeps_sgr_and_drops_everything_else() -> None:
    text = "\x1b[1;31mred\x1b[0m\x1b]52;c;aGk=\x07 \x1b[2J\x1b[10;1Hx\x07\ty\x1b]0;t\x1b\\"
    assert colours_only(text) == "\x1b[1;31mred\x1b[0m x y\x1b[0m"
    assert colours_only("plain") == "plain"


def test_run_until_idle_exits_10_when_a_task_failed_and_0_when_all_went_well(
    orch: Orchestrator, db_url: str
) -> None:
    orch.tasks.create(TaskSpec(key="OK", title="fine", command=CommandSpec(argv=["true"])))
    quick = ["run", "--until-idle", "--poll-seconds", "0.05"]
    ran = cli(db_url, *quick)
    assert (ran.code, ran.err) == (0, "")
    assert "1 done, 0 awaiting approval, 0 retried, 0 failed, 0 lost" in ran.out
    broken = CommandSpec(argv=[sys.executable, "-c", "raise SystemExit(3)"])
    orch.tasks.create(TaskSpec(key="BAD", title="broken", command=broken, max_retries=0))
    ran = cli(db_url, *quick)
    assert ran.code == 10, ran.err
    assert "0 done, 0 awaiting approval, 0 retried, 1 failed, 0 lost" in ran.out
    assert "failed  BAD run" in ran.out


def test_run_exits_11_when_a_person_stopped_a_run_and_names_them(
    orch: Orchestrator, db_url: str
) -> None:
    """A person's cancel is their decision, not a loss: the summary says who, and
    `run` exits 11 (not 10, which tells a script something broke)."""
    long = CommandSpec(
        argv=[sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    )
    orch.tasks.create(TaskSpec(key="A", title="long", command=long))

    def cancel_once_it_runs() -> None:
        wait_for(lambda: orch.queries.runs_for("A") and orch.queries.runs_for("A")[0].line_count)
        orch.as_actor("bob").runs.cancel("A", "wrong branch")

    canceller = threading.Thread(target=cancel_once_it_runs)
    canceller.start()
    ran = cli(db_url, "run", "--until-idle", "--poll-seconds", "0.05")
    canceller.join(30)
    assert ran.code == ExitCode.RUN_STOPPED_BY_PERSON, ran.err
    (run,) = orch.queries.runs_for("A")
    assert f"stopped A run {run.id}: run cancelled by bob: wrong branch" in ran.out
    assert "0 failed, 0 lost, 1 stopped by bob" in ran.out


def test_run_closes_a_run_loaded_open_saying_so_and_exits_0(
    orch: Orchestrator, db_url: str
) -> None:
    """The demo's PAY-11: a plan loaded its run open and no runner holds it. The
    runner closes it (as lost, where it came from in its error), and since no run of
    its own was lost, `run --until-idle` exits 0, as the README's example says."""
    from orchestrator_tui.services.plans import parse_plan

    run = {"agent": "ada", "status": "running", "started": "-25m", "log": "working..."}
    task = {"key": "A", "title": "a", "status": "in_progress", "updated": "-25m", "runs": [run]}
    orch.plans.load(parse_plan({"name": "p", "tasks": [task]}, "plan.yaml"), "plan.yaml")
    ran = cli(db_url, "run", "--until-idle", "--poll-seconds", "0.05", "--lease-seconds", "0.3")
    assert (ran.code, ran.err) == (ExitCode.OK, "")
    (closed,) = orch.queries.runs_for("A")
    why = "it was loaded open (from a plan or an import) and no runner holds it"
    assert f"closed  A run {closed.id}: {why}" in ran.out
    assert ran.out.splitlines()[-1].endswith("0 failed, 0 lost, closed 1 run loaded open")


def test_a_cancelled_run_still_stopping_is_listed_as_stopping_with_who_asked(
    orch: Orchestrator, db_url: str
) -> None:
    orch.tasks.create(TaskSpec(key="A", title="long", command=CommandSpec(argv=["true"])))
    orch.runs.claim("r1", 30)
    orch.as_actor("alice").runs.cancel("A", "wrong branch")
    (row,) = cli(db_url, "task", "runs", "A").out.splitlines()[1:]
    assert row.split()[2] == "stopping"
    assert "(run cancelled by alice: wrong branch)" in row
    shown = cli(db_url, "task", "show", "A").out
    assert "  last run   #1 stopping (run cancelled by alice: wrong branch)" in shown.splitlines()
    assert orch.queries.last_run_state("A") == "#1 stopping (run cancelled by alice: wrong branch)"
    (run,) = orch.queries.runs_for("A")
    assert run.state == "stopping" and run.state_text == (
        "stopping (run cancelled by alice: wrong branch)"
    )


def test_a_timed_out_run_is_listed_in_words_and_stored_as_its_status(
    orch: Orchestrator, db_url: str
) -> None:
    orch.tasks.create(TaskSpec(key="A", title="slow", command=CommandSpec(argv=["true"])))
    (claim,) = orch.runs.claim("r1", 30)
    ended = RunResult(claim.run_id, claim.task_id, RunStatus.TIMED_OUT, error="timed out after 2s")
    orch.runs.finish("r1", [ended])
    (row,) = cli(db_url, "task", "runs", "A").out.splitlines()[1:]
    assert row.split()[2:4] == ["timed", "out"] and "timed_out" not in row
    assert "  last run   #1 timed out after 2s" in cli(db_url, "task", "show", "A").out.splitlines()
    (listed,) = json.loads(cli(db_url, "task", "runs", "A", "--json").out)
    assert (listed["status"], listed["state"]) == ("timed_out", "timed_out")


def test_run_json_carries_the_state_word_beside_the_stored_status(
    orch: Orchestrator, db_url: str
) -> None:
    orch.tasks.create(TaskSpec(key="A", title="long", command=CommandSpec(argv=["true"])))
    orch.runs.claim("r1", 30)
    orch.as_actor("alice").runs.cancel("A", "wrong branch")
    (listed,) = json.loads(cli(db_url, "task", "runs", "A", "--json").out)
    assert (listed["status"], listed["state"]) == ("running", "stopping")
    # who asked is a field of its own; the run has not ended, so it has no error yet
    assert listed["cancel_requested"] == "run cancelled by alice: wrong branch"
    assert listed["error"] is None
    logged = json.loads(cli(db_url, "task", "logs", "A", "--json").out)
    assert (logged["run"]["status"], logged["run"]["state"]) == ("running", "stopping")


def test_raw_logs_of_a_plain_commands_run_say_there_are_none(
    orch: Orchestrator, db_url: str
) -> None:
    command = CommandSpec(argv=[sys.executable, "-c", "print('hello')"])
    orch.tasks.create(TaskSpec(key="A", title="plain", command=command))
    run_all(orch)
    [run] = orch.queries.runs_for("A")
    said = (
        f"error: run {run.id} of A is a plain command's: it has no raw events;"
        " `task logs A` shows its output\n"
    )
    for extra in ([], ["--json"], ["--follow"], ["--run", str(run.id)]):
        raw = cli(db_url, "task", "logs", "A", "--raw", *extra)
        assert (raw.code, raw.out, raw.err) == (3, "", said), extra
    assert cli(db_url, "task", "logs", "A").out == "hello\n"


def test_a_task_that_has_not_run_is_an_empty_list_but_no_log(
    orch: Orchestrator, db_url: str
) -> None:
    orch.tasks.create(TaskSpec(key="A", title="never ran"))
    runs = cli(db_url, "task", "runs", "A")
    assert (runs.code, runs.out) == (0, "A has no runs yet\n")  # a list, empty
    assert json.loads(cli(db_url, "task", "runs", "A", "--json").out) == []
    logs = cli(db_url, "task", "logs", "A")
    assert (logs.code, logs.out) == (3, "")  # one run's lines: there is none to show
    assert logs.err == "error: A has no runs yet (`task logs A --follow` waits for one)\n"
