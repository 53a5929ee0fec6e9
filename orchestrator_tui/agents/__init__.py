"""Agents that ship with orchestrator-tui (for demos and tests)."""
