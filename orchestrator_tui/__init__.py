"""orchestrator-tui: a keyboard-driven control room for work done by agents."""

__version__ = "0.1.0"
