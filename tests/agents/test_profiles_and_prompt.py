"""Profiles (argv, environment, config file) and prompts, without processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator_tui.agents.budget import Limit, Spent, exceeded
from orchestrator_tui.agents.profiles import (
    BUILTIN,
    build_invocation,
    parse_profiles,
    resolve,
)
from orchestrator_tui.agents.prompt import (
    DEFAULT_TEMPLATE,
    PromptContext,
    Upstream,
    check_template,
    render_prompt,
)
from orchestrator_tui.domain.agent import AgentUse, Budget
from orchestrator_tui.domain.errors import ValidationFailed
from orchestrator_tui.services.agent_profiles import load_profiles


def test_builtin_argv_follow_each_cli_help(tmp_path: Path) -> None:
    use = AgentUse(profile="x", model="m1", args=["--flag"])

    def argv(name: str, session: str | None = None) -> list[str]:
        kw = {"prompt_file": "/p.md", "session_id": session, "cwd": str(tmp_path)}
        return build_invocation(BUILTIN[name], use, "PROMPT", **kw).argv  # type: ignore[arg-type]

    claude = ["claude", "-p", "--output-format", "stream-json", "--verbose"]
    assert argv("claude") == [*claude, "--model=m1", "--flag", "--", "PROMPT"]
    resumed = [*claude, "--resume=s-1", "--model=m1", "--flag", "--", "PROMPT"]
    assert argv("claude", "s-1") == resumed
    codex = ["codex", "exec", "--json", "--model=m1", "--skip-git-repo-check", "--flag"]
    assert argv("codex") == [*codex, "--", "PROMPT"]  # tmp_path is not in a git repository
    assert argv("codex", "t-1")[:3] == ["codex", "exec", "resume"]
    assert argv("codex", "t-1")[-2:] == ["t-1", "PROMPT"]
    assert argv("gemini")[-1] == "--prompt=PROMPT"
    assert argv("gemini", "s") == argv("gemini")  # no documented resume by id
    assert argv("aider")[-1] == "--message-file=/p.md"
    assert "--session=o-1" in argv("opencode", "o-1")


def test_codex_inside_a_git_work_tree_needs_no_skip_flag(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    inv = build_invocation(BUILTIN["codex"], AgentUse(profile="codex"), "p", cwd=str(tmp_path))
    assert "--skip-git-repo-check" not in inv.argv


def test_unset_placeholders_drop_their_argument_and_values_are_never_expanded() -> None:
    inv = build_invocation(BUILTIN["claude"], AgentUse(profile="claude"), "{model} {session_id}")
    assert not any(a.startswith("--model") for a in inv.argv)
    assert inv.argv[-1] == "{model} {session_id}"


def test_a_listed_environment_passes_only_safe_and_named_variables() -> None:
    environ = {"PATH": "/bin", "ANTHROPIC_API_KEY": "k", "AWS_SECRET": "s", "GITHUB_TOKEN": "g"}
    use = AgentUse(profile="claude", env={"EXTRA": "1"})
    env = build_invocation(BUILTIN["claude"], use, "p", environ=environ).env
    assert env == {"PATH": "/bin", "ANTHROPIC_API_KEY": "k", "AWS_SECRET": "s", "EXTRA": "1"}
    codex = build_invocation(BUILTIN["codex"], AgentUse(profile="codex"), "p", environ=environ)
    assert "ANTHROPIC_API_KEY" not in codex.env and "GITHUB_TOKEN" not in codex.env


def test_the_config_file_adds_profiles_and_errors_name_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "agents.yaml"
    path.write_text("profiles:\n  mine:\n    argv: [my-agent, '{prompt}']\n    parser: plain\n")
    profiles = load_profiles(path)
    assert set(BUILTIN) < set(profiles) and profiles["mine"].argv == ["my-agent", "{prompt}"]
    path.write_text("profiles:\n  mine:\n    argv: [my-agent]\n    parser: clod\n")
    with pytest.raises(ValidationFailed, match=r"agents.yaml: profiles.mine.parser: Input should"):
        load_profiles(path)
    with pytest.raises(ValidationFailed, match=r"x.yaml: profiles.a: prompt: argument needs"):
        parse_profiles({"a": {"argv": ["prog"]}}, "x.yaml")
    with pytest.raises(ValidationFailed, match="unknown agent profile 'nope'"):
        resolve(AgentUse(profile="nope"), profiles)


HOSTILE = "{{ ''.__class__.__mro__ }} {0.__init__} {% raw %} [@click=app.quit]x[/] \x1b[2J"


def test_hostile_task_text_renders_literally() -> None:
    ctx = PromptContext(
        key="K-1",
        title=HOSTILE,
        description=HOSTILE,
        success_criteria=[HOSTILE],
        upstream=[Upstream("K-0", HOSTILE, "done", HOSTILE, {"k": HOSTILE})],
        review_comment=HOSTILE,
        attempt=2,
    )
    text = render_prompt(ctx)
    assert text.count(HOSTILE) == 7  # every value, each exactly once
    assert "object" not in text and "<class" not in text


def test_templates_are_sandboxed_and_checked() -> None:
    with pytest.raises(ValidationFailed, match="unknown template variable 'cycler'"):
        check_template("{{ cycler.__init__.__globals__ }}", "plan.yaml: agent.template")
    with pytest.raises(ValidationFailed, match="does not parse"):
        check_template("{% if %}", "t")
    with pytest.raises(ValidationFailed, match="template failed"):
        render_prompt(PromptContext(key="k", title="t"), "{{ key.__class__.__mro__ }}")
    check_template(DEFAULT_TEMPLATE, "default")
    ctx = PromptContext(key="K", title="T", review_comment="redo it", change_rounds=1)
    assert render_prompt(ctx, "{{ key }}/{{ change_rounds }}: {{ review_comment }}") == (
        "K/1: redo it\n"
    )


def test_a_template_naming_a_field_no_value_has_is_refused_when_checked() -> None:
    template = "{% for up in upstream %}{{ up.key }}: {{ up.sumary }}{% endfor %}"
    with pytest.raises(ValidationFailed) as refused:
        check_template(template, "plan.yaml: agent.template")
    assert str(refused.value) == (
        "plan.yaml: agent.template: unknown template variable:"
        " 'dict object' has no attribute 'sumary'"
    )
    with pytest.raises(ValidationFailed, match=r"unknown template variable: .*'who'"):
        check_template("{% for a in answers %}{{ a.who }}{% endfor %}", "t")
    with pytest.raises(ValidationFailed, match="unsafe"):
        check_template("{{ key.__class__ }}", "t")
    check_template("{% if upstream %}{{ upstream[0].summary }}{% endif %}", "t")


def test_budgets_say_what_was_spent_of_what() -> None:
    task = Limit("task", Budget(usd=1.0), Spent(usd=0.7))
    assert exceeded(task, Spent(usd=0.5)) == "budget exceeded: $1.20 of $1.00"
    assert exceeded(task, Spent(usd=0.3)) is None
    assert exceeded(task, Spent(usd=0.3), at=True) == "budget exceeded: $1.00 of $1.00"
    plan = Limit("plan P", Budget(tokens=1000))
    assert exceeded(plan, Spent(tokens=1500)) == "plan P: budget exceeded: 1,500 tokens of 1,000"
