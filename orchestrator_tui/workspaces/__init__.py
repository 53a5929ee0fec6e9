"""Git worktrees per task: making them, recording what changed, merging on approval.

No database and no Textual here: `services.workspaces` stores what these
functions return, and the runner calls them around a task's command.
"""
