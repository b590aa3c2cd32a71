#!/usr/bin/python3
"""PyTorch (CPU) baseline for bench/transposed-conv.mjs: torch.nn.ConvTranspose2d forward and forward +
backward (gradients for input, weight and bias from a given upstream gradient) for the benchmark's cases.
NCHW, float32.

Run with Debian's torch (apt-get install -y python3-torch):
    /usr/bin/python3 bench/transposed_conv_torch.py [--threads N] [--warmup 1] [--reps 5] [--quick]
Prints one JSON object to stdout (progress goes to stderr). Times are milliseconds, median of --reps
after --warmup untimed runs.
"""

import argparse
import json
import os
import platform
import sys

import torch

from torch_lib import median_ms

# (name, batch, H, W, C_in, C_out, kernel, stride, padding, output_padding): the same list as CASES in
# bench/transposed-conv.mjs (there NHWC). 'fcn' is the FCN head of d2l 13.11 (21 classes, 320x480 input).
CASES = [
    ("fcn", 8, 10, 15, 21, 21, 64, 32, 16, 0),
    ("upsample2x", 1, 320, 480, 3, 3, 4, 2, 1, 0),
    ("decoder", 8, 32, 32, 64, 32, 3, 2, 1, 1),
]
QUICK_BATCH = {"fcn": 2, "upsample2x": 1, "decoder": 2}


def bench_case(name, batch, h, w, cin, cout, k, s, p, op, warmup, reps):
    g = torch.Generator().manual_seed(0)
    layer = torch.nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op)
    x = torch.randn(batch, cin, h, w, generator=g)
    with torch.no_grad():
        y = layer(x)
    dy = torch.randn(y.shape, generator=g)
    xv = x.clone().requires_grad_(True)

    def forward():
        with torch.no_grad():
            layer(x)

    def forward_backward():
        xv.grad = None
        layer.zero_grad(set_to_none=True)
        layer(xv).backward(dy)

    out = {"outShape": list(y.shape)}
    for op_name, fn in (("forward", forward), ("forwardBackward", forward_backward)):
        ms, times = median_ms(fn, warmup, reps)
        out[op_name] = {"ms": ms, "times": times}
        print(f"torch {name} {op_name} batch {batch}: {ms:.1f} ms", file=sys.stderr)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="smaller batches (see QUICK_BATCH)")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    results = {}
    for name, batch, h, w, cin, cout, k, s, pad, op in CASES:
        b = QUICK_BATCH[name] if args.quick else batch
        results[name] = {"batch": b, **bench_case(name, b, h, w, cin, cout, k, s, pad, op, args.warmup, args.reps)}
    json.dump(
        {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
            "cpuCount": os.cpu_count(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "layout": "NCHW",
            "warmup": args.warmup,
            "reps": args.reps,
            "results": results,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
