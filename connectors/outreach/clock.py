"""Time as a dependency, so rate pacing and backoff are tested on a fake clock."""

import threading
import time


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when someone sleeps (or `advance`s it). Thread-safe."""

    def __init__(self, start: float = 1_800_000_000.0):
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def time(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            if seconds > 0:
                self._now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


SYSTEM_CLOCK = SystemClock()

_default_clock = SYSTEM_CLOCK


def clock_default():
    """The clock clients use when none is given (tests swap in a FakeClock with `clock_set_default`)."""
    return _default_clock


def clock_set_default(clock) -> None:
    global _default_clock
    _default_clock = clock or SYSTEM_CLOCK
