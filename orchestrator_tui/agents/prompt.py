"""The prompt an agent gets, rendered from its task.

Templates are the user's (plan, profile or task) and use Jinja syntax in a
sandboxed environment: no attribute of Python internals is reachable, no
file can be included. Task text is untrusted and only ever a *value*: it is
inserted as it is and never evaluated, so `{{ ''.__class__ }}` or `{0.__init__}`
in a description come out as those very characters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..domain.errors import ValidationFailed

DEFAULT_TEMPLATE = """\
You are working on task {{ key }}: {{ title }}
{% if attempt > 1 %}This is attempt {{ attempt }}.
{% endif %}
{% if description %}
## Description

{{ description }}
{% endif %}
{% if success_criteria %}
## Success criteria

{% for criterion in success_criteria %}- {{ criterion }}
{% endfor %}{% endif %}
{% if context %}
## Shared context

{{ context }}
{% endif %}
{% if upstream %}
## Work this task depends on

{% for up in upstream %}### {{ up.key }}: {{ up.title }} ({{ up.status }})
{% if up.summary %}{{ up.summary }}
{% endif %}{% for name, value in up.outputs.items() %}- {{ name }}: {{ value }}
{% endfor %}{% endfor %}{% endif %}
{% if review_comment and review_decision == "rejected" %}
## Rejected by the reviewer

{{ review_comment }}

Your previous attempt was rejected for this reason; do not repeat it.
{% elif review_comment %}
## Changes requested by the reviewer

{{ review_comment }}

Address this feedback; keep what was already right.
{% endif %}
{% if answers %}
## Answers to your questions

{% for a in answers %}Q: {{ a.question }}
A ({{ a.answered_by }}): {{ a.answer }}
{% endfor %}
Continue the task with these answers.
{% endif %}
When you are done, reply with a short summary of what you changed.
"""

#: Every name a template may use.
VARIABLES = (
    "key",
    "title",
    "description",
    "success_criteria",
    "context",
    "upstream",
    "attempt",
    "review_comment",
    "review_decision",
    "change_rounds",
    "answers",
)


@dataclass(frozen=True)
class Upstream:
    key: str
    title: str
    status: str
    summary: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """A person's answer to a question the agent asked (and had not seen yet)."""

    question: str
    answer: str
    answered_by: str


@dataclass(frozen=True)
class PromptContext:
    """Everything a template can see (plain values, all from the database)."""

    key: str
    title: str
    description: str = ""
    success_criteria: list[str] = field(default_factory=list)
    context: str = ""  # the shared context, as YAML text
    upstream: list[Upstream] = field(default_factory=list)
    attempt: int = 1
    review_comment: str | None = None
    #: The decision `review_comment` came with: "changes_requested" or "rejected".
    review_decision: str | None = None
    change_rounds: int = 0
    answers: list[Answer] = field(default_factory=list)


_ENV = ImmutableSandboxedEnvironment(
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=False,
)
_ENV.globals.clear()  # no range, cycler, joiner, lipsum, namespace: only the task's values


def check_template(template: str, origin: str) -> None:
    """Refuse a template that does not parse or names an unknown variable."""
    from jinja2 import meta

    try:
        names = meta.find_undeclared_variables(_ENV.parse(template))
    except TemplateError as exc:
        raise ValidationFailed(f"{origin}: template does not parse: {exc}") from None
    unknown = sorted(names - set(VARIABLES))
    if unknown:
        known = ", ".join(VARIABLES)
        raise ValidationFailed(
            f"{origin}: unknown template variable {unknown[0]!r} (known: {known})"
        )
    _try_on_sample(template, origin)


#: A task with every value set and one of each list, for trying a template once.
_SAMPLE = PromptContext(
    key="KEY-1",
    title="title",
    description="description",
    success_criteria=["criterion"],
    context="name: value",
    upstream=[Upstream("KEY-0", "title", "done", "summary", {"name": "value"})],
    attempt=2,
    review_comment="comment",
    review_decision="changes_requested",
    change_rounds=1,
    answers=[Answer("question", "answer", "person")],
)


def _try_on_sample(template: str, origin: str) -> None:
    """Refuse a field no value has (`up.sumary`) or an unsafe attribute now, not at
    every run: render the template once on a sample task."""
    from jinja2.exceptions import SecurityError, UndefinedError

    try:
        _ENV.from_string(template).render(asdict(_SAMPLE))
    except UndefinedError as exc:
        raise ValidationFailed(f"{origin}: unknown template variable: {exc}") from None
    except SecurityError as exc:
        raise ValidationFailed(f"{origin}: template refused: {exc}") from None
    except TemplateError:
        pass  # depends on the task's own values: said at run time if it fails


def render_prompt(ctx: PromptContext, template: str | None = None) -> str:
    """The prompt for `ctx` from `template` (default: DEFAULT_TEMPLATE)."""
    values: dict[str, Any] = asdict(ctx)
    try:
        text = _ENV.from_string(template or DEFAULT_TEMPLATE).render(values)
    except TemplateError as exc:
        raise ValidationFailed(f"prompt template failed: {exc}") from None
    return _tidy(text)


def _tidy(text: str) -> str:
    """At most one blank line in a row, none at either end."""
    out: list[str] = []
    for line in text.splitlines():
        if line.strip() or (out and out[-1].strip()):
            out.append(line.rstrip())
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n"
