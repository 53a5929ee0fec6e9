"""Real git repositories in tmp_path for the workspace tests (made as the review
benchmark makes its own: benchmarks/review_setup.py)."""

from benchmarks.review_setup import git, make_repo

__all__ = ["git", "make_repo"]
