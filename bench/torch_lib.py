"""Helpers shared by the PyTorch halves of the benchmarks (bench/*_torch.py, torch_conv2d.py)."""
import statistics
import time


def device_sync(device):
    """A function that waits for `device`'s queued work (CUDA runs asynchronously); a no-op on the CPU."""
    import torch

    dev = torch.device(device)
    if dev.type == "cuda":
        return lambda: torch.cuda.synchronize(dev)
    return lambda: None


def median_ms(fn, warmup, reps, sync=lambda: None):
    """Runs fn `warmup` times untimed, then `reps` times, each followed by `sync()` (see device_sync);
    returns (median ms, list of ms)."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), times
