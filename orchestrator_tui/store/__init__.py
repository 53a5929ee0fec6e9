"""Persistence: engine and transactions, SQLModel tables, schema versions.

Nothing here imports Textual; a test keeps it that way.
"""
