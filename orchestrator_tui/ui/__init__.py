"""The Textual front end: screens, widgets and modals. No SQL here: every
database call goes through a service on a thread worker (see `db.py`)."""
