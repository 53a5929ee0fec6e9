"""Persistence: engine and transactions, SQLModel table declarations and the Core
tables made from them, schema versions.

Nothing here imports Textual; a test keeps it that way.
"""
