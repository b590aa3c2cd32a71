#!/usr/bin/python3
"""PyTorch/torchvision (CPU) baseline for bench/roi-pool.mjs: torchvision.ops.roi_pool and roi_align on
features [N, C, H, W] with the RoIs that bench/roi-pool.mjs wrote to a JSON file, forward alone and forward
+ backward (the gradient with respect to the features for a fixed random upstream gradient).

Run with Debian's torch (apt-get install -y python3-torch python3-torchvision):
    /usr/bin/python3 bench/roi_pool_torch.py --rois rois.json [--threads N] [--warmup 1] [--reps 7]
The JSON file holds {"features": [N, H, W, C], "rois": [[b, x1, y1, x2, y2], ...], "ops": [...]}, each op
{"name", "op": "roi_pool" | "roi_align", "outputSize", "spatialScale", "samplingRatio", "aligned"}.
Prints one JSON object to stdout. Times are milliseconds, median of --reps after --warmup untimed runs.
"""

import argparse
import json
import platform

import torch
import torchvision
from torchvision.ops import roi_align, roi_pool

from torch_lib import median_ms


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rois", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--reps", type=int, default=7)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    spec = json.load(open(a.rois))
    n, h, w, c = spec["features"]
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, h, w, generator=g)
    rois = torch.tensor(spec["rois"], dtype=torch.float32)
    results = {}
    for op in spec["ops"]:
        size = tuple(op["outputSize"])
        if op["op"] == "roi_pool":
            f = lambda t, op=op, size=size: roi_pool(t, rois, size, op["spatialScale"])  # noqa: E731
        else:
            f = lambda t, op=op, size=size: roi_align(  # noqa: E731
                t, rois, size, op["spatialScale"], op["samplingRatio"], op["aligned"]
            )
        dy = torch.randn((len(rois), c) + size, generator=g)
        xg = x.clone().requires_grad_(True)

        def forward():
            with torch.no_grad():
                f(x)

        def forward_backward():
            torch.autograd.grad(f(xg), xg, dy)

        fwd, fwd_times = median_ms(forward, a.warmup, a.reps)
        both, both_times = median_ms(forward_backward, a.warmup, a.reps)
        results[op["name"]] = {
            "forward": {"ms": fwd, "times": fwd_times},
            "forwardBackward": {"ms": both, "times": both_times},
        }
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "torchvision": torchvision.__version__,
                "threads": torch.get_num_threads(),
                "python": platform.python_version(),
                "warmup": a.warmup,
                "reps": a.reps,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
