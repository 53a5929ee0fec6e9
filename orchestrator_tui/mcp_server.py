"""`orchestrator-tui mcp`: a stdio MCP server over the same services as the CLI.

A small tool set with one-line descriptions, typed inputs and compact
structured results. Every answer is bounded: lists are paged with a hard cap,
long texts are cut (and say so). Refusals are tool errors carrying the very line
the CLI prints. Nothing but protocol reaches stdout: the SDK's stdio transport
owns it, and logging goes to stderr.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, TextContent
from mcp.types import Tool as MCPTool
from pydantic import AfterValidator, BaseModel, ConfigDict, Strict, ValidationError
from pydantic_core import PydanticCustomError

from .config import TASK_ENV
from .domain.command_text import what_runs
from .domain.enums import AgentType, DependencyType, Priority, Readiness, TaskStatus
from .domain.errors import OrchestratorError
from .domain.models import AgentReport, QuestionView, TaskDetail, TaskRow, TaskSpec
from .domain.nearest import did_you_mean, nearest
from .domain.rules import MACHINE_TYPES
from .domain.state_machine import VERB_TARGETS
from .domain.text import printable
from .services import Orchestrator, TaskFilter
from .services.notify import ask_person
from .services.reset_watch import ResetWatch

log = logging.getLogger("orchestrator_tui.mcp")

#: Most tasks one `list_tasks` answer holds.
MAX_PAGE = 40
DEFAULT_PAGE = 20
#: Longest title in a summary, and longest description or context in `get_task`.
SUMMARY_TITLE_CHARS = 80
DETAIL_TEXT_CHARS = 4000
#: Most dependencies (each way) and questions `get_task` lists.
DETAIL_LINKS = 25
#: Longest an `ask_question` or `get_answer` call waits for an answer.
MAX_WAIT_SECONDS = 600.0
#: Every answer of every tool stays under this many bytes of JSON (tested).
MAX_ANSWER_BYTES = 32_000
#: The whole tool list (names, descriptions, input and output schemas) stays under
#: this many bytes of JSON, about 3,000 tokens (tested).
TOOL_LIST_BUDGET_BYTES = 12_000

#: What `set_status` accepts: the CLI's verbs (the keys of VERB_TARGETS, spelled
#: out for the tool's input schema; a test keeps them equal).
Verb = Literal["start", "done", "fail", "block", "reset", "defer", "cancel"]


def _zero_or_more(value: float) -> float:
    if not value >= 0:  # NaN too
        raise PydanticCustomError(
            "negative", "must be 0 or more, not {value}", {"value": f"{value:g}"}
        )
    return value


# The types of the tools' arguments: a boolean is JSON's true or false and a number
# a JSON number (the SDK's lax parsing would take "yes" for true and "5" for 5); what
# counts or waits is 0 or more, as the CLI's `--limit` and `--timeout` are.
Flag = Annotated[bool, Strict()]
Whole = Annotated[int, Strict()]
Count = Annotated[int, Strict(), AfterValidator(_zero_or_more)]
Seconds = Annotated[float, Strict(), AfterValidator(_zero_or_more)]

# -- results ------------------------------------------------------------------------


def _drop_titles(schema: dict[str, Any]) -> None:
    """Pydantic titles every schema and property after its name; they only cost tokens."""
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            prop.pop("title", None)


class _Result(BaseModel):
    model_config = ConfigDict(json_schema_extra=_drop_titles)


class TaskSummary(_Result):
    key: str
    title: str
    status: str
    ready: str
    priority: str
    assignee: str | None = None
    progress: int
    waits_on: int = 0
    questions: int = 0


class TaskPage(_Result):
    total: int
    offset: int
    tasks: list[TaskSummary]
    next_offset: int | None = None


class Link(_Result):
    key: str
    status: str


class RunSummary(_Result):
    id: int
    status: str
    state: str  # `rules.run_state`: `stopping` for a cancelled run still open
    agent: str | None = None
    exit_code: int | None = None
    error: str | None = None
    cancel_requested: str | None = None  # who asked for it to stop, and why
    outputs_uri: str | None = None


class QuestionInfo(_Result):
    id: int
    key: str
    question: str
    asked_by: str
    answered: bool
    answer: str | None = None
    answered_by: str | None = None
    closed: bool = False  # its task's work ended unanswered: nobody will answer it


class TaskInfo(TaskSummary):
    description: str = ""
    #: What does the task, as `task show` says: "agent codex, model o3", "command make".
    runs_with: str = ""
    requires_approval: bool = False
    success_criteria: list[str] = []
    blockers: list[Link] = []
    dependents: list[Link] = []
    dependents_total: int = 0
    context: str = ""
    latest_run: RunSummary | None = None
    open_questions: list[QuestionInfo] = []
    truncated: bool = False


#: What a move that submits work for approval tells the agent.
AWAITS_APPROVAL = (
    "finished: a person approves it or sends it back; nothing more to do on it until then"
)


class NextTask(_Result):
    task: TaskSummary | None = None
    claimed: bool = False
    message: str = ""  # with no task: where the tasks stand


#: How `next_task` counts the tasks it could not offer, by readiness.
_NOT_OFFERED = {
    Readiness.READY: "ready for a person or later (a retry's wait)",
    Readiness.WAITING: "waiting on unfinished dependencies",
    Readiness.ACTIVE: "in progress or awaiting approval",
    Readiness.STOPPED: "blocked, deferred or failed (a person decides)",
}


class Done(_Result):
    key: str
    status: str
    message: str = ""


def _cut(text: str | None, limit: int) -> tuple[str, bool]:
    text = text or ""
    return (text, False) if len(text) <= limit else (text[: limit - 1] + "…", True)


def _summary(task: TaskRow | TaskDetail, waits_on: int, questions: int) -> TaskSummary:
    return TaskSummary(
        key=task.key,
        title=_cut(task.title, SUMMARY_TITLE_CHARS)[0],
        status=task.status.value,
        ready=task.readiness.value,
        priority=task.priority.value,
        assignee=task.assignee,
        progress=task.progress,
        waits_on=waits_on,
        questions=questions,
    )


def _row_summary(row: TaskRow) -> TaskSummary:
    return _summary(row, row.unfinished_blockers, row.open_questions)


def _result(model: BaseModel) -> CallToolResult:
    data = model.model_dump(mode="json", exclude_defaults=False)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def refusal(exc: Exception) -> str:
    """The line the CLI prints for the same refusal."""
    if isinstance(exc, ValidationError):
        from .services.safe_yaml import describe_validation_error

        exc = describe_validation_error(exc, None, "invalid input")
    return f"error: {printable(str(exc))}"


def _guard(call: Callable[[], BaseModel]) -> CallToolResult:
    try:
        return _result(call())
    except (OrchestratorError, ValidationError) as exc:
        return CallToolResult(content=[TextContent(type="text", text=refusal(exc))], is_error=True)


class _ResetRefusal:
    """A database reset (`db reset`, `db copy --replace`) under a running server: every
    key and id its client holds is gone, or names another row (ids start over). The
    first call after it is refused, saying so; then the server serves the database as
    it is now. Writes check it in their own transaction (nothing is written for a
    stale id); reads are checked before and after they run."""

    def __init__(self, orch: Orchestrator) -> None:
        self.resets = ResetWatch(orch, guard_writes=True)

    def checked(self, call: Callable[[], BaseModel]) -> BaseModel:
        self._check()
        try:
            answer = call()
        except OrchestratorError:  # `no task 'A'`, a write refused: because of a reset?
            self._check()
            raise
        self._check()  # a read that ran after a reset read other rows
        return answer

    def _check(self) -> None:
        self.resets.check(
            "since your last call: the tasks and question ids you know are gone or name "
            "others now (call list_tasks to see what it holds)"
        )


# -- the server -----------------------------------------------------------------------


def _refused(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def unknown_arguments(tool: str, given: list[str], accepted: list[str]) -> str:
    """The refusal of arguments `tool` does not take, naming them and the ones it does."""
    names = ", ".join(repr(printable(a)) for a in given)
    noun = "argument" if len(given) == 1 else "arguments"
    hints = [n for a in given for n in nearest(a, accepted, 1)]
    hint = f"; did you mean {', '.join(dict.fromkeys(hints))}?" if hints else ""
    takes = f"its arguments: {', '.join(accepted)}" if accepted else "it takes none"
    return f"error: {tool} has no {noun} {names}{hint} ({takes})"


class _Server(MCPServer[Any]):
    """Arguments of the wrong shape or name, or a tool that does not exist, are
    refused with one line, as the CLI refuses them.

    The SDK validates arguments before a tool runs and would answer with pydantic's
    multi-line report; this turns it into the same `error: invalid input: FIELD: ...`
    line every other refusal gives. The SDK drops arguments a tool does not take
    (its argument models ignore extra fields), so a misspelled one would quietly
    become its default: every tool refuses them here, before the SDK sees them, and
    each input schema says so (`additionalProperties: false`).
    """

    async def list_tools(self) -> list[MCPTool]:
        return [
            tool.model_copy(update={"input_schema": _strict_schema(tool.input_schema)})
            for tool in await super().list_tools()
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        tools = {tool.name: tool for tool in await super().list_tools()}
        if name not in tools:  # the SDK would say `Unknown tool: x`
            hint = did_you_mean(name, tools) or f" (tools: {', '.join(tools)})"
            return _refused(f"error: no tool {printable(name)!r}{hint}")
        accepted = list(tools[name].input_schema.get("properties", {}))
        if extra := [a for a in arguments if a not in accepted]:
            return _refused(unknown_arguments(name, extra, accepted))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc, UnexpectedToolError) or not isinstance(
                exc.__cause__, ValidationError
            ):
                raise
            return _refused(refusal(exc.__cause__))


def _strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input schema refusing other arguments, without the titles pydantic
    derives from the names (they only cost tokens)."""
    properties = {
        name: {k: v for k, v in prop.items() if k != "title"}
        for name, prop in schema.get("properties", {}).items()
    }
    rest = {k: v for k, v in schema.items() if k not in ("title", "properties")}
    return {**rest, "properties": properties, "additionalProperties": False}


def build_server(orch: Orchestrator) -> MCPServer[Any]:
    """The MCP server acting as `orch.actor`, over `orch`'s database."""
    instructions = (
        "Tasks, dependencies and questions of an orchestrator-tui plan. ask_question"
        " returns at once unless wait_seconds > 0; get_answer(question_id, wait_seconds)"
        " fetches or waits for the answer later."
    )
    if current := os.environ.get(TASK_ENV, "").strip():  # started inside a run
        instructions += (
            f" You are working on task {current}. To ask a person, call ask_question and"
            " end your turn: your session is resumed with the answer."
        )
    server: MCPServer[Any] = _Server(
        "orchestrator-tui", instructions=instructions, log_level="WARNING"
    )
    actor = orch.actor
    watch = _ResetRefusal(orch)

    def guard(call: Callable[[], BaseModel]) -> CallToolResult:
        return _guard(lambda: watch.checked(call))

    def summary_of(key: str, detail: TaskDetail | None = None) -> TaskSummary:
        d = detail or orch.queries.get_task(key)
        return _summary(d, d.open_blockers, orch.questions.count_open(d.key))

    def done(key: str, message: str) -> Done:
        task = orch.queries.get_task(key)
        return Done(key=task.key, status=task.status.value, message=message)

    def moved(task: TaskDetail, message: str = "") -> Done:
        """A move's answer; work submitted for approval says what comes next."""
        if task.status is TaskStatus.AWAITING_APPROVAL:
            after = AWAITS_APPROVAL
            message = f"{message}; {after}" if message else after
        return Done(key=task.key, status=task.status.value, message=message)

    def question_info(q: QuestionView) -> QuestionInfo:
        return QuestionInfo(
            id=q.id,
            key=q.task_key,
            question=_cut(q.text, DETAIL_TEXT_CHARS)[0],
            asked_by=q.asked_by,
            answered=q.answered_at is not None,
            answer=None if q.answer is None else _cut(q.answer, DETAIL_TEXT_CHARS)[0],
            answered_by=q.answered_by,
            closed=q.is_closed,
        )

    @server.tool(description="List tasks (summaries), filtered and paged; total says how many.")
    def list_tasks(
        status: list[TaskStatus] | None = None,
        readiness: list[Readiness] | None = None,
        text: str = "",
        limit: Count = DEFAULT_PAGE,
        offset: Count = 0,
    ) -> TaskPage:
        def run() -> TaskPage:
            size = max(1, min(limit, MAX_PAGE))
            start = offset
            flt = TaskFilter(
                text=text[:200],
                statuses=frozenset(status or ()),
                readiness=frozenset(readiness or ()),
            )
            total = orch.queries.count_tasks(flt)
            rows = orch.queries.list_tasks(flt, limit=size, offset=start)
            after = start + len(rows)
            return TaskPage(
                total=total,
                offset=start,
                tasks=[_row_summary(r) for r in rows],
                next_offset=after if after < total else None,
            )

        return guard(run)  # type: ignore[return-value]

    @server.tool(description="One task: description, criteria, dependencies, context, last run.")
    def get_task(key: str) -> TaskInfo:
        def run() -> TaskInfo:
            d = orch.queries.get_task(key)
            description, cut1 = _cut(d.description, DETAIL_TEXT_CHARS)
            context, cut2 = _cut(orch.queries.context_for(key), DETAIL_TEXT_CHARS)
            criteria = [_cut(c, 500)[0] for c in d.success_criteria[:DETAIL_LINKS]]
            runs = orch.queries.runs_for(key)
            last = runs[-1] if runs else None
            questions = [q for q in orch.questions.for_task(key, DETAIL_LINKS) if q.is_open]
            return TaskInfo(
                **summary_of(key, d).model_dump(),
                description=description,
                runs_with=_cut(" ".join(what_runs(d.command)), 500)[0] if d.command else "",
                requires_approval=d.requires_approval,
                success_criteria=criteria,
                blockers=[Link(key=b.key, status=b.status.value) for b in d.blockers][
                    :DETAIL_LINKS
                ],
                dependents=[Link(key=x.key, status=x.status.value) for x in d.dependents][
                    :DETAIL_LINKS
                ],
                dependents_total=len(d.dependents),
                context=context,
                latest_run=None
                if last is None
                else RunSummary(
                    id=last.id,
                    status=last.status.value,
                    state=last.state,
                    agent=last.agent,
                    exit_code=last.exit_code,
                    error=_cut(last.error, 500)[0] if last.error else None,
                    cancel_requested=_cut(last.cancel_requested, 500)[0]
                    if last.cancel_requested
                    else None,
                    outputs_uri=last.outputs_uri,
                ),
                open_questions=[question_info(q) for q in questions],
                truncated=cut1
                or cut2
                or len(d.blockers) > DETAIL_LINKS
                or len(d.dependents) > DETAIL_LINKS
                or len(d.success_criteria) > DETAIL_LINKS,
            )

        return guard(run)  # type: ignore[return-value]

    @server.tool(description="The next ready task; claim=true also starts it for you, atomically.")
    def next_task(claim: Flag = False, agent_type: AgentType | None = None) -> NextTask:
        def run() -> NextTask:
            types = (agent_type.value,) if agent_type else MACHINE_TYPES
            if claim:
                key = orch.runs.claim_for_agent(actor, types)
            else:
                key = orch.runs.next_for_agent(types)
            if key is not None:
                return NextTask(task=summary_of(key), claimed=claim)
            return NextTask(message=nothing_for_you())

        def nothing_for_you() -> str:
            counts = [
                (orch.queries.count_tasks(TaskFilter(readiness=frozenset({r}))), what)
                for r, what in _NOT_OFFERED.items()
            ]
            said = ", ".join(f"{n} {what}" for n, what in counts if n)
            return f"no task is ready for you: {said or 'every task is done or cancelled'}"

        return guard(run)  # type: ignore[return-value]

    @server.tool(description="Create a task; depends_on: keys it waits for; agent: who does it.")
    def create_task(
        title: str,
        description: str = "",
        priority: Priority = Priority.MEDIUM,
        depends_on: list[str] | None = None,
        success_criteria: list[str] | None = None,
        requires_approval: Flag = False,
        key: str | None = None,
        agent: str | None = None,
        model: str | None = None,
    ) -> TaskSummary:
        def run() -> TaskSummary:
            from .services.agent_profiles import with_agent

            spec = TaskSpec(
                key=key,
                title=title,
                description=description,
                priority=priority,
                depends_on=depends_on or [],  # type: ignore[arg-type]
                success_criteria=success_criteria or [],
                requires_approval=requires_approval,
            )
            task = orch.tasks.create(with_agent(spec, agent, model))
            return summary_of(task.key)

        return guard(run)  # type: ignore[return-value]

    @server.tool(description="Move a task (start, done, fail, block, reset, defer, cancel).")
    def set_status(key: str, to: Verb, reason: str | None = None, force: Flag = False) -> Done:
        def run() -> Done:
            task = orch.tasks.transition(key, VERB_TARGETS[to], force=force, reason=reason)
            return moved(task)

        return guard(run)  # type: ignore[return-value]

    @server.tool(description="Record progress 0-100 on a task, with a short message.")
    def report_progress(key: str, percent: Whole, message: str = "") -> Done:
        def run() -> Done:
            orch.collab.progress(key, percent, message)
            return done(key, f"progress {percent}%")

        return guard(run)  # type: ignore[return-value]

    @server.tool(description="Append Markdown to your private notes on a task.")
    def add_note(key: str, text: str) -> Done:
        def run() -> Done:
            orch.collab.note(key, text)
            return done(key, "note saved")

        return guard(run)  # type: ignore[return-value]

    @server.tool(description="Make a task wait for another (cycles are refused, named).")
    def add_dependency(key: str, on: str, type: DependencyType = DependencyType.BLOCKS) -> Done:
        def run() -> Done:
            orch.deps.add(key, on, type)
            return done(key, f"now waits for {on}")

        return guard(run)  # type: ignore[return-value]

    @server.tool(
        description="Report on your work: status word, summary, findings (as task report)."
    )
    def report(
        key: str,
        status: str,
        summary: str = "",
        progress: Whole | None = None,
        artifacts_created: list[str] | None = None,
        issues_found: list[str] | None = None,
        blocking_issues: list[str] | None = None,
        error_details: str | None = None,
    ) -> Done:
        def run() -> Done:
            agent_report = AgentReport(
                agent_name=actor[:100],
                status=status,  # type: ignore[arg-type]
                summary=summary,
                progress=progress,
                artifacts_created=artifacts_created or [],
                issues_found=issues_found or [],
                blocking_issues=blocking_issues or [],
                error_details=error_details,
            )
            task = orch.reports.apply(key, agent_report)
            return moved(task, "report recorded")

        return guard(run)  # type: ignore[return-value]

    @server.tool(description="Ask a person a question; wait_seconds>0 waits for the answer.")
    def ask_question(key: str, question: str, wait_seconds: Seconds = 0) -> QuestionInfo:
        def run() -> QuestionInfo:
            asked = ask_person(orch, key, question)
            if wait_seconds > 0:
                asked = orch.questions.wait(asked.id, min(wait_seconds, MAX_WAIT_SECONDS))
            return question_info(asked)

        return guard(run)  # type: ignore[return-value]

    @server.tool(
        description="A question you asked, with its answer once given (waits up to wait_seconds)."
    )
    def get_answer(question_id: Whole, wait_seconds: Seconds = 0) -> QuestionInfo:
        def run() -> QuestionInfo:
            if wait_seconds > 0:
                found = orch.questions.wait(question_id, min(wait_seconds, MAX_WAIT_SECONDS))
            else:
                found = orch.questions.get(question_id)
            return question_info(found)

        return guard(run)  # type: ignore[return-value]

    return server


def serve(orch: Orchestrator) -> None:
    """Serve over stdin/stdout until the client hangs up."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    build_server(orch).run("stdio")
