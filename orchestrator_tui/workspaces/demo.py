"""The small git repository `orchestrator-tui demo` makes for its workspace tasks."""

from __future__ import annotations

from pathlib import Path

from .git import Git

FILES = {
    "README.md": "# greeter\n\nA tiny library the demo's agents work on.\n",
    "greeter.py": 'def greet(name):\n    return "hello " + name\n',
    "test_greeter.py": (
        "import unittest\n\nfrom greeter import greet\n\n\n"
        "class GreetTest(unittest.TestCase):\n"
        "    def test_greet(self):\n"
        '        self.assertEqual(greet("ada"), "hello ada")\n'
    ),
    ".gitignore": ".env\n__pycache__/\n",
}


def make_demo_repo(folder: Path) -> Path:
    """`folder/demo-repo` on branch main with one commit (and an untracked .env)."""
    repo = folder / "demo-repo"
    repo.mkdir(parents=True, exist_ok=True)
    git = Git(repo)
    git.run("init", "-q", "-b", "main")
    git.run("config", "user.name", "Demo Person")
    git.run("config", "user.email", "demo@example.invalid")
    git.run("config", "commit.gpgsign", "false")
    for name, text in FILES.items():
        (repo / name).write_text(text, encoding="utf-8")
    git.run("add", "-A")
    git.run("commit", "-q", "-m", "A greeter to work on")
    (repo / ".env").write_text("GREETER_LANGUAGE=en\n", encoding="utf-8")
    return repo
