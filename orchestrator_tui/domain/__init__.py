"""Pure domain: enums, the state machine, pydantic models and graph algorithms.

Nothing in this package touches a database or a terminal.
"""
