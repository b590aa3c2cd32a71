"""Helpers shared by the PyTorch halves of the benchmarks (bench/*_torch.py, torch_conv2d.py)."""
import statistics
import time


def median_ms(fn, warmup, reps):
    """Runs fn `warmup` times untimed, then `reps` times; returns (median ms, list of ms)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), times
