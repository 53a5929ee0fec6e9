"""`orchestrator-tui mcp`: serve the task tools to an agent over stdio (MCP)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import opened


def cmd_mcp(args: argparse.Namespace) -> int:
    from ..mcp_server import serve

    with opened(args) as orch:  # a bad --db fails here, before any protocol
        serve(orch)
    return 0


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "mcp",
        parents=parents,
        help="serve tasks to an agent as an MCP server on stdin/stdout",
        description="A Model Context Protocol server over stdio, acting as --as (or "
        "$ORCHESTRATOR_TUI_ACTOR) on --db (or $ORCHESTRATOR_TUI_DB). Only protocol "
        "goes to stdout; logs go to stderr.",
    )
    p.set_defaults(handler=cmd_mcp)
