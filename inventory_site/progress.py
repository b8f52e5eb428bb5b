"""Progress of long work (training epochs, prediction shards, the replenishment and alert passes,
imports): one line each on the ``stockcast.progress`` logger at INFO. Workers log them like any
other line; ``make demo`` and ``manage.py forecast`` print them as they come (``echo_to``);
the runs page shows a run's latest line, which the run stores as it goes."""
from __future__ import annotations

import logging
from contextlib import contextmanager

LOGGER = logging.getLogger("stockcast.progress")


def report(message: str, *args) -> None:
    LOGGER.info(message, *args)


def duration(seconds: float) -> str:
    """12 -> '12 s', 130 -> '2 min 10 s'."""
    seconds = max(int(round(seconds)), 0)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"


class _Echo(logging.Handler):
    def __init__(self, write):
        super().__init__(logging.INFO)
        self.write = write

    def emit(self, record):
        self.write(record.getMessage())


@contextmanager
def echo_to(write):
    """Send every progress line to ``write`` (a command's stdout) while the block runs, instead of
    the log (so that a person at a terminal sees each line once)."""
    handler, level, propagate = _Echo(write), LOGGER.level, LOGGER.propagate
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
    try:
        yield
    finally:
        LOGGER.removeHandler(handler)
        LOGGER.setLevel(level)
        LOGGER.propagate = propagate
