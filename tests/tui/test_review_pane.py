"""The review of a task's changes in the approvals inbox and on the detail
screen: summary, files with +/-, the diff coloured and paged, file jumps,
untrusted text shown literally, approvals that cannot merge."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from benchmarks.review_setup import finish, git, huge_captured, make_repo, spec, start
from orchestrator_tui.domain.models import TaskPatch, TaskSpec
from orchestrator_tui.domain.workspace import OnApprove
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.ui.screens.approvals import ApprovalsScreen
from orchestrator_tui.ui.screens.detail import DetailScreen
from orchestrator_tui.ui.widgets.diff_view import DiffView
from orchestrator_tui.workspaces.worktree import capture, layout, prepare

from .conftest import notes, screen_text, settle, started, wait_until


def spec_for_approval(key: str) -> TaskSpec:
    return TaskSpec(key=key, title=f"task {key}", requires_approval=True)


HOSTILE = "evil \x1b]52;c;SGVsbG8=\x07 and [@click=app.quit]x [/]\n"


def review_task(orch: Orchestrator, key: str, repo: Path, files: dict[str, str]) -> None:
    """A task that ran in its worktree, wrote `files`, and awaits approval."""
    run_id = start(orch, key, repo)
    made = prepare(spec(repo), key)
    for name, text in files.items():
        (made.layout.path / name).write_text(text)
    orch.workspaces.record(run_id, made.layout, capture(made.layout, 1, None, []), [])
    finish(orch, key, run_id)


async def open_inbox(pilot) -> DiffView:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ApprovalsScreen)
    return pilot.app.screen.query_one(DiffView)


async def open_diff(pilot) -> DiffView:  # type: ignore[no-untyped-def]
    """The inbox's diff view, once it shows the first task's diff."""
    view = await open_inbox(pilot)
    await wait_until(pilot, lambda: view.document.lines, "the diff")
    return view


async def open_detail_from_inbox(pilot) -> DetailScreen:  # type: ignore[no-untyped-def]
    """The detail screen of the inbox's first task (enter on it)."""
    await open_inbox(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DetailScreen)
    return pilot.app.screen


async def test_inbox_shows_summary_files_and_coloured_diff_with_file_jumps(orch, make, tmp_path):
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n", "z.txt": "z\n"})
    long = "".join(f"line {i}\n" for i in range(200))
    review_task(orch, "R-1", repo, {"a.txt": long, "z.txt": "zz\n"})
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        view = await open_diff(pilot)
        text = screen_text(app)
        assert "R-1 run 1 (attempt 1): task/R-1 against main" in text
        assert "+200 -1  a.txt" in text and "+1 -1  z.txt" in text
        assert "+line 0" in text
        added = view.document.lines.index("+line 0")
        view.scroll_to(y=added, animate=False, force=True)
        await pilot.pause()
        colours = {seg.style.color for seg in view.render_line(0) if seg.text.strip() and seg.style}
        assert any(c is not None for c in colours), "added lines are coloured"

        assert view.current_file == 0 or view.scroll_y > 0
        view.scroll_to(y=0, animate=False, force=True)
        await pilot.press("right_square_bracket")  # from the inbox table: next file
        await pilot.pause()
        assert view.scroll_y == view.document.file_starts[1]
        assert view.document.lines[int(view.scroll_y)] == "diff --git a/z.txt b/z.txt"
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert view.scroll_y == 0


async def test_a_diff_with_escapes_and_markup_is_shown_literally(orch, make, tmp_path):
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    review_task(orch, "R-1", repo, {"b.txt": HOSTILE})
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_diff(pilot)
        text = screen_text(app)
        assert "+evil \\x1b]52;c;SGVsbG8=\\x07 and [@click=app.quit]x [/]" in text
        assert "\x1b" not in text and "\x07" not in text
        assert app.is_running


async def test_a_20_mb_diff_is_paged_file_by_file(orch, make, tmp_path):
    # How long the UI stalls while it loads and how fast its keys are:
    # benchmarks/bench_review.py (a figure against its goal, not a test).
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    run_id = start(orch, "BIG", repo)
    captured, n_files = huge_captured(20 * 1024 * 1024)
    orch.workspaces.record(run_id, layout(spec(repo), "BIG"), captured, [])
    finish(orch, "BIG", run_id)
    app = make()
    async with started(app) as pilot:
        await pilot.press("i")
        view = app.screen.query_one(DiffView)
        await wait_until(
            pilot, lambda: len(view.document.file_starts) == n_files, "the diff", timeout=120
        )
        for _ in range(20):
            await pilot.press("right_square_bracket")
        await pilot.press("ctrl+d")
        assert view.document.lines[view.document.file_starts[20]] == (
            "diff --git a/f20.txt b/f20.txt"
        )
        assert view.current_file == 20
        listed = str(app.screen.query_one("#review-summary", Static).content)
        assert f"… and {n_files - 200} more files" in listed  # the file list is bounded too


async def test_approving_a_conflicting_task_names_the_file_and_writes_nothing(orch, make, tmp_path):
    repo = make_repo(tmp_path / "repo", {"shared.txt": "original\n"})
    review_task(orch, "R-1", repo, {"shared.txt": "from 1\n"})
    review_task(orch, "R-2", repo, {"shared.txt": "from 2\n"})
    app = make()
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_inbox(pilot)
        await pilot.press("a")  # R-1, the oldest: fast-forwards main
        await settle(pilot)
        assert orch.queries.get_task("R-1").status.value == "done"
        assert (repo / "shared.txt").read_text() == "from 1\n"
        await pilot.press("a")  # R-2 conflicts
        await settle(pilot)
        assert any("conflicts in shared.txt" in m for m in notes(app))
        assert orch.queries.get_task("R-2").status.value == "awaiting_approval"
        assert git(repo, "status", "--porcelain") == ""


async def test_detail_screen_reviews_and_approves(orch, make, tmp_path):
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    review_task(orch, "R-1", repo, {"a.txt": "two\n"})
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_detail_from_inbox(pilot)
        view = app.screen.query_one(DiffView)
        await wait_until(pilot, lambda: view.document.lines, "the diff")
        text = screen_text(app)
        assert "+1 -1  a.txt" in text and "+two" in text
        assert f"workspace {repo} · base main · branch task/R-1 · on approve merge" in text
        await pilot.press("a")
        await settle(pilot)
        assert orch.queries.get_task("R-1").status.value == "done"
        assert git(repo, "show", "main:a.txt") == "two"


async def test_tab_focuses_the_diff_and_its_own_keys_scroll_it(orch, make, tmp_path):
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    review_task(orch, "R-1", repo, {"a.txt": "".join(f"{i}\n" for i in range(300))})
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        view = await open_diff(pilot)
        await pilot.press("tab")
        assert app.focused is view
        await pilot.press("j", "j", "space")
        await pilot.pause()
        assert view.scroll_y > 2
        await pilot.press("g")
        await pilot.pause()
        assert view.scroll_y == 0


async def test_at_80x24_the_highlighted_entry_stays_in_view_when_its_diff_opens(
    orch, make, tmp_path
):
    """The review below the list takes room from it: the list scrolls so that the
    highlighted entry (the last, after `G`) is still on screen."""
    for n in range(1, 9):
        key = f"A-{n}"
        orch.tasks.create(spec_for_approval(key))
        orch.tasks.start(key)
        orch.as_actor("bob").tasks.complete(key)
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    review_task(orch, "LAST-1", repo, {"a.txt": "two\n"})
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_inbox(pilot)
        await pilot.press("G")
        await settle(pilot)
        await wait_until(pilot, lambda: view.document.lines, "the diff")
        await settle(pilot)
        listed = screen_text(app).split("─" * 40)[0]
        assert " LAST-1 " in listed, listed


async def test_a_run_that_changed_nothing_takes_a_few_lines_not_half_the_detail(
    orch, make, tmp_path
):
    # At 80x24 "no changes against base" took the lower two thirds of the task's
    # detail, leaving its description and questions six lines.
    from orchestrator_tui.ui.widgets.diff_view import ReviewPanel

    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    review_task(orch, "R-1", repo, {})
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail_from_inbox(pilot)
        panel = app.screen.query_one(ReviewPanel)
        await wait_until(pilot, lambda: panel.display and panel.summary is not None, "review")
        await settle(pilot)
        text = screen_text(app)
        assert "no changes against base" in text
        assert panel.size.height <= 5, panel.size
        assert "Description" in text


async def test_approving_says_what_happened_to_the_branch(orch, make, tmp_path):
    """The notification carries the words `task approve` prints: merged, or left."""
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    review_task(orch, "R-1", repo, {"a.txt": "two\n"})
    app = make()
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_inbox(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert orch.queries.get_task("R-1").status.value == "done"
        assert "R-1 approved: done\nfast-forwarded main to task/R-1" in notes(app)


async def test_approving_a_branch_left_for_a_person_says_so(orch, make, tmp_path):
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    review_task(orch, "R-1", repo, {"a.txt": "two\n"})
    command = orch.queries.get_task("R-1").command
    assert command is not None and command.workspace is not None
    left = command.workspace.model_copy(update={"on_approve": OnApprove.NONE})
    orch.tasks.edit("R-1", TaskPatch(command=command.model_copy(update={"workspace": left})))
    app = make()
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await open_inbox(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert orch.queries.get_task("R-1").status.value == "done"
        assert (
            "R-1 approved: done\n"
            "nothing merged: on_approve is none, so branch task/R-1 stays for a person"
        ) in notes(app)
        assert git(repo, "show", "main:a.txt") == "one"


async def test_the_review_says_what_the_agent_said_it_did_beside_its_diff(orch, make, tmp_path):
    """An approver reads the agent's own summary next to the diff it claims to be."""
    from orchestrator_tui.agents.parsers import Usage
    from orchestrator_tui.services.agent_runs import RunUsage

    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    run_id = start(orch, "R-1", repo)
    made = prepare(spec(repo), "R-1")
    (made.layout.path / "a.txt").write_text("two\n")
    orch.workspaces.record(run_id, made.layout, capture(made.layout, 1, None, []), [])
    said = "Renamed greet to hello;\nall 12 tests pass " + HOSTILE
    task_id = orch.queries.get_task("R-1").id
    orch.agent_runs.record_usage([RunUsage(run_id, task_id, Usage(), summary=said)])
    finish(orch, "R-1", run_id)
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_diff(pilot)
        text = screen_text(app)
        assert "said: Renamed greet to hello; all 12 tests pass evil" in text
        assert "\x1b" not in text and app.is_running


def ran_plainly(orch: Orchestrator, key: str, said: str | None = None) -> int:
    """A task whose plain command (no workspace) ran, its agent saying `said`, and
    that awaits approval; the run's id."""
    from orchestrator_tui.agents.parsers import Usage
    from orchestrator_tui.domain.models import CommandSpec
    from orchestrator_tui.services.agent_runs import RunUsage

    command = CommandSpec(argv=["true"])
    orch.tasks.create(
        TaskSpec(key=key, title=f"task {key}", command=command, requires_approval=True)
    )
    (claim,) = orch.runs.claim("runner-1", 600, key=key)
    if said is not None:
        task_id = orch.queries.get_task(key).id
        orch.agent_runs.record_usage([RunUsage(claim.run_id, task_id, Usage(), summary=said)])
    finish(orch, key, claim.run_id)
    return claim.run_id


async def review_text(pilot, key: str) -> str:  # type: ignore[no-untyped-def]
    """The inbox's review of `key`, once it has landed."""
    from orchestrator_tui.ui.widgets.diff_view import ReviewPanel

    panel = pilot.app.screen.query_one(ReviewPanel)
    await wait_until(pilot, lambda: panel.display and panel.key == key, f"{key}'s review")
    await settle(pilot)
    return str(panel.query_one("#review-summary", Static).content)


async def test_an_approval_without_recorded_changes_says_so_and_what_its_agent_said(orch, make):
    # The review below the inbox was left out for such a task, as if nothing had loaded.
    run_id = ran_plainly(orch, "P-1", said="Bumped the\nretry limit " + HOSTILE)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_inbox(pilot)
        said = await review_text(pilot, "P-1")
        text = screen_text(app)
        assert f"No changes recorded for run {run_id}: it ran without a workspace" in text
        assert "the agent said: Bumped the retry limit evil" in text, said
        assert "Next file" not in text  # no diff to move through
        assert "\x1b" not in text and app.is_running


async def test_the_review_says_when_a_task_has_not_run_or_its_workspace_recorded_nothing(
    orch, make, tmp_path
):
    orch.tasks.create(spec_for_approval("A-1"))  # done by hand, awaiting approval
    orch.tasks.start("A-1")
    orch.tasks.complete("A-1")
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    run_id = start(orch, "W-1", repo)  # ran in a workspace, but nothing was recorded
    finish(orch, "W-1", run_id)
    app = make()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_inbox(pilot)
        assert (
            await review_text(pilot, "A-1")
            == "No changes recorded: the task has not run (it has no workspace)"
        )
        await pilot.press("j")
        assert await review_text(pilot, "W-1") == f"No changes recorded for run {run_id}"


def _hint_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    info = app.screen.query_one("#inbox-info", Static)
    return [info.render_line(y).text.rstrip() for y in range(info.size.height)]


async def test_the_inbox_offers_the_diff_keys_only_while_a_diff_is_shown(orch, make, tmp_path):
    """They were listed beside "No changes recorded ...", where they do nothing. At
    80x24 the longest hint line is whole, each label on one line."""
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    review_task(orch, "R-1", repo, {"a.txt": "two\n"})
    ran_plainly(orch, "R-2")
    app = make()
    async with started(app, (80, 24)) as pilot:
        view = await open_diff(pilot)
        lines = _hint_lines(app)
        shown = " ".join(line.strip() for line in lines)
        assert shown.startswith("2 awaiting approval, 0 questions to answer")
        assert shown.endswith(
            "esc back · [ ] previous/next file · ctrl+d/u scroll the diff · j/k move"
        )
        for hint in ("esc back", "[ ] previous/next file", "ctrl+d/u scroll the diff"):
            assert any(hint in line for line in lines), hint  # each on one line, whole
        await pilot.press("j")
        await wait_until(pilot, lambda: not view.document.lines, "R-2's review")
        await wait_until(
            pilot, lambda: "esc back · j/k move" in _hint_lines(app), "the hint without the diff"
        )
        assert "previous/next file" not in " ".join(_hint_lines(app))
        await pilot.press("k")
        await wait_until(
            pilot, lambda: "previous/next file" in " ".join(_hint_lines(app)), "the diff keys"
        )
