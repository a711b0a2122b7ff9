"""Whether the CPU was shared while a study ran (1-minute load average) and how much CPU time
this process used (which other jobs do not inflate, unlike the wall time)."""

from __future__ import annotations

import os
import resource
import threading

import numpy as np


class LoadMonitor:
    """Samples the 1-minute load average every ``interval`` seconds in a daemon thread, as a
    context manager; :meth:`summary` gives its mean, max and sample count."""

    def __init__(self, interval: float = 10.0):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(interval,), daemon=True)

    def _loop(self, interval):
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict:
        s = self.samples or [os.getloadavg()[0]]
        return {"mean": float(np.mean(s)), "max": float(np.max(s)), "samples": len(s)}


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
