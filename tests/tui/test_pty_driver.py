"""The pseudo-terminal the TUI benchmark and the pty tests share answers Textual's
synchronized-output question however the reads cut it, and exactly once."""

from __future__ import annotations

import sys
import time

import pytest

from benchmarks.pty_driver import SYNC_QUERY, SYNC_REPLY, PtyDriver, sync_queries_ending_in

pytestmark = pytest.mark.skipif(
    not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal"
)

#: Writes the question in two pieces, then reports every byte the terminal sent back.
ASKER = f"""
import os, sys, time, tty
tty.setraw(0)
query = {SYNC_QUERY!r}
os.write(1, b"frame one " + query[:4])
time.sleep(0.3)
os.write(1, query[4:] + b" frame two")
time.sleep(1.0)
got = b""
while True:
    import select
    if not select.select([0], [], [], 0.2)[0]:
        break
    got += os.read(0, 100)
os.write(1, b"GOT:" + got.hex().encode() + b":END")
time.sleep(0.5)
"""


def test_a_question_split_over_two_reads_is_answered_once() -> None:
    term = PtyDriver([sys.executable, "-c", ASKER], 80, 24)
    try:
        deadline = time.monotonic() + 30
        while b":END" not in term.buf:
            assert time.monotonic() < deadline, term.tail()
            term.read(0.1)
        got = bytes.fromhex(term.buf.split(b"GOT:")[1].split(b":END")[0].decode())
        assert got == SYNC_REPLY
    finally:
        term.close(quit_key=None)


def test_each_question_is_counted_in_the_read_that_completes_it() -> None:
    old = b"x" + SYNC_QUERY  # answered when it arrived
    assert sync_queries_ending_in(old, 0) == 1
    assert sync_queries_ending_in(old + b"more", len(old)) == 0
    split = b"x" + SYNC_QUERY[:3]
    assert sync_queries_ending_in(split + SYNC_QUERY[3:], len(split)) == 1
    assert sync_queries_ending_in(b"y" + SYNC_QUERY * 2, 1) == 2
