"""Timing helpers shared by the benchmark scripts (run as scripts from this folder)."""

import os
import time

import numpy as np


def median_time(fn, repeats: int) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` calls, after one warm-up call."""
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages: figures on a shared machine need it."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
