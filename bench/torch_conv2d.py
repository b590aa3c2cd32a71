#!/usr/bin/python3
"""PyTorch (CPU) baseline for bench/conv2d.mjs: conv2d forward, input gradient, filter gradient and one
training step (forward + both gradients) for the benchmark's shapes. NCHW, float32, 3x3 kernel, stride 1,
padding 1 (= tfjs 'same').

Run with Debian's torch (apt-get install -y python3-torch):
    /usr/bin/python3 bench/torch_conv2d.py [--batch 32] [--threads N] [--warmup 2] [--reps 7]
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

# (name, H, W, C_in, C_out), the same list as SHAPES in bench/conv2d.mjs (there NHWC).
SHAPES = [
    ("256x256x3->16", 256, 256, 3, 16),
    ("32x32x64->128", 32, 32, 64, 128),
]
K = 3
STRIDE = (1, 1)
PADDING = (1, 1)
DILATION = (1, 1)


def conv_backward(dy, x, w, mask):
    # What autograd calls for conv2d's backward; the mask picks (input, weight, bias) gradients.
    return torch.ops.aten.convolution_backward(
        dy, x, w, None, STRIDE, PADDING, DILATION, False, [0, 0], 1, mask
    )


def bench_shape(batch, h, w_, cin, cout, warmup, reps):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, cin, h, w_, generator=g)
    w = torch.randn(cout, cin, K, K, generator=g) * 0.1
    dy = torch.randn(batch, cout, h, w_, generator=g)
    out = {}

    def forward():
        with torch.no_grad():
            torch.nn.functional.conv2d(x, w, None, STRIDE, PADDING)

    def input_grad():
        with torch.no_grad():
            conv_backward(dy, x, w, (True, False, False))

    def filter_grad():
        with torch.no_grad():
            conv_backward(dy, x, w, (False, True, False))

    xv = x.clone().requires_grad_(True)
    wv = w.clone().requires_grad_(True)

    def train_step():
        xv.grad = None
        wv.grad = None
        torch.nn.functional.conv2d(xv, wv, None, STRIDE, PADDING).sum().backward()

    for name, fn in (
        ("forward", forward),
        ("inputGrad", input_grad),
        ("filterGrad", filter_grad),
        ("trainStep", train_step),
    ):
        ms, times = median_ms(fn, warmup, reps)
        out[name] = {"ms": ms, "times": times}
        print(f"torch {name} {h}x{w_}x{cin}->{cout} batch {batch}: {ms:.1f} ms", file=sys.stderr)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--reps", type=int, default=7)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    results = {}
    for name, h, w_, cin, cout in SHAPES:
        results[name] = bench_shape(args.batch, h, w_, cin, cout, args.warmup, args.reps)
    json.dump(
        {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
            "cpuCount": os.cpu_count(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "layout": "NCHW",
            "batch": args.batch,
            "warmup": args.warmup,
            "reps": args.reps,
            "results": results,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
