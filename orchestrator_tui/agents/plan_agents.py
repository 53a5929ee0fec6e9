"""A plan file's agent settings, applied to its tasks before loading.

- `profiles:` defines profiles by name; a task using one keeps its definition.
- `agent:` at the top is the default for tasks that have no `command` of their
  own (tasks of agent type `human` excepted), and fills in what a task's own
  `agent:` leaves unset.
- `budget:` limits the whole plan; its tasks are marked with the plan's name.

Each task with an agent ends up with a `command` whose `agent` says it all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..domain.agent import AgentProfile, AgentUse
from ..domain.errors import ValidationFailed
from ..domain.models import CommandSpec
from ..domain.plan import PlanSpec, PlanTask
from ..domain.workspace import WorkspaceSpec
from .profiles import COMMAND, check_profile_name, unknown_profile
from .prompt import check_template


def apply_agents(
    plan: PlanSpec, origin: str, profiles: Callable[[], Mapping[str, AgentProfile]]
) -> PlanSpec:
    """The plan with every agent task's `command.agent` filled in; errors name the
    field. `profiles()` gives the known profiles (called only when the plan uses agents)."""
    if not plan.profiles and plan.agent is None and not any(t.agent for t in plan.tasks):
        return plan
    known = dict(profiles())
    for name, profile in plan.profiles.items():
        check_profile_name(name, origin)
        if profile.template:
            check_template(profile.template, f"{origin}: profiles.{name}.template")
    known.update(plan.profiles)
    if plan.agent is not None:
        check_use(plan.agent, known, f"{origin}: agent")
    tasks = [_apply(plan, i, t, known, origin) for i, t in enumerate(plan.tasks)]
    return plan.model_copy(update={"tasks": tasks})


def _apply(
    plan: PlanSpec, index: int, task: PlanTask, known: Mapping[str, AgentProfile], origin: str
) -> PlanTask:
    use = task.agent
    if use is None:
        if plan.agent is None or not plan.default_agent_applies(task):
            return task
        use = plan.agent
    else:
        use = use.merged_over(plan.agent)
    where = f"{origin}: tasks[{index}] ({task.key}).agent"
    check_use(use, known, where, has_command=task.command is not None)
    update: dict[str, object] = {}
    if use.profile in plan.profiles:
        update["definition"] = plan.profiles[use.profile]
    if plan.budget is not None and not plan.budget.empty:
        update["plan"] = plan.name
    use = use.model_copy(update=update)
    command = agent_command(use, known, task.command, plan.workspace)
    return task.model_copy(update={"command": command, "agent": None})


def agent_command(
    use: AgentUse,
    known: Mapping[str, AgentProfile],
    command: CommandSpec | None,
    workspace: WorkspaceSpec | None = None,
) -> CommandSpec:
    """The command a task runs `use` with (checked by `check_use` first): its own
    command with the agent added (its cwd, env, timeout, workspace and verify stay),
    else the profile's program in `workspace`."""
    if command is not None:
        return command.model_copy(update={"agent": use})
    name = use.profile or "agent"
    program = known[name].argv[0] if name in known else name
    return CommandSpec(argv=[program], workspace=workspace, agent=use)


def check_use(
    use: AgentUse,
    known: Mapping[str, AgentProfile],
    where: str,
    has_command: bool = True,
) -> None:
    """Refuses, naming `where`, an agent that is not known, a bad template, or the
    `command` profile for a task without a command of its own (`has_command` false)."""
    if use.profile is None:
        raise ValidationFailed(f"{where}.profile: which agent? (the plan has no default agent)")
    if use.profile == COMMAND and not has_command:
        raise ValidationFailed(f"{where}.profile: `command` needs the task's command")
    if use.profile != COMMAND and use.profile not in known:
        raise ValidationFailed(f"{where}.profile: {unknown_profile(use.profile, known)}")
    if use.template:
        check_template(use.template, f"{where}.template")
