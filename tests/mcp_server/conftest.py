"""The MCP server as a subprocess, talked to with the SDK's own stdio client."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from orchestrator_tui.services import Orchestrator, open_orchestrator

AGENT = "claude-bot"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_TUI")}
    env.update(extra)
    return env


def server_params(db: Path | str, actor: str = AGENT, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "orchestrator_tui", "mcp", "--db", str(db), "--as", actor],
        env=clean_env(**env),
    )


@asynccontextmanager
async def session(db: Path | str, actor: str = AGENT, **env: str) -> AsyncIterator[ClientSession]:
    with open(os.devnull, "w") as errlog:
        async with (
            stdio_client(server_params(db, actor, **env), errlog=errlog) as (read, write),
            ClientSession(read, write) as client,
        ):
            client.initialized = await client.initialize()  # type: ignore[attr-defined]
            yield client


async def call(client: ClientSession, tool: str, **arguments: Any) -> dict[str, Any]:
    """A tool's structured answer; the call must succeed."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {result.content}"
    assert result.structured_content is not None
    return result.structured_content


async def refused(client: ClientSession, tool: str, **arguments: Any) -> str:
    """A tool call that must be refused; its one-line message."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool} was not refused: {result.structured_content}"
    [block] = result.content
    text = block.text  # type: ignore[union-attr]
    assert "\n" not in text
    return text


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "mcp.db"


@pytest.fixture
def orch(db: Path) -> Iterator[Orchestrator]:
    o = open_orchestrator(str(db), "alice")
    yield o
    o.close()
