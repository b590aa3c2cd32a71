"""PyTorch side of bench/gpu/check.mjs: the same TinySSD-shaped stack (d2l's down_sample_blk 3->16->32->64->128->128:
(conv3x3 + BN + ReLU) x2 + MaxPool2d(2) each), batch 32, 256x256, SGD, loss = mean(out^2), on the GPU, with TF32
on (PyTorch's default for cuDNN convolutions) and off; plus the filter gradient of the issue's 9.7-GFLOP
convolution. Prints one JSON object (also written to argv[1] when given).

Usage: python3 bench/gpu/torch_stack.py [out.json] [--quick] [--batch=N]
"""

import json
import sys
import time

import torch
from torch import nn

QUICK = "--quick" in sys.argv
BATCH = next((int(a.split("=")[1]) for a in sys.argv if a.startswith("--batch=")), 32)


def down_sample_blk(in_channels, out_channels):
    """d2l 13.7: two 3x3 convs with BN and ReLU, then a 2x2 max pool."""
    blk = []
    for _ in range(2):
        blk.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        blk.append(nn.BatchNorm2d(out_channels))
        blk.append(nn.ReLU())
        in_channels = out_channels
    blk.append(nn.MaxPool2d(2))
    return nn.Sequential(*blk)


def stack():
    ch = [3, 16, 32, 64, 128, 128]
    return nn.Sequential(*[down_sample_blk(ch[i], ch[i + 1]) for i in range(len(ch) - 1)])


def timed(fn, reps, dev):
    for _ in range(3):
        fn()
    torch.cuda.synchronize(dev)
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    torch.cuda.synchronize(dev)
    return (time.perf_counter() - t0) * 1000 / reps


def main():
    out = {"torch": torch.__version__, "cuda": torch.cuda.is_available()}
    if not torch.cuda.is_available():
        out["error"] = "no CUDA device"
        return out
    dev = torch.device("cuda")
    out["device"] = torch.cuda.get_device_name(dev)
    torch.backends.cudnn.benchmark = True
    x = torch.rand(BATCH, 3, 256, 256, device=dev)
    rows = []
    for tf32 in (True, False):
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.manual_seed(0)
        net = stack().to(dev).train()
        opt = torch.optim.SGD(net.parameters(), lr=0.01)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = net(x).square().mean()
            loss.backward()
            opt.step()

        def fwd():
            with torch.no_grad():
                net(x).square().mean()

        reps = 10 if QUICK else 30
        ms = timed(step, reps, dev)
        fwd_ms = timed(fwd, reps, dev)
        rows.append(
            {
                "name": f"cuDNN, TF32 {'on' if tf32 else 'off'}",
                "ms": ms,
                "fwd_ms": fwd_ms,
                "examples_per_s": BATCH * 1000 / ms,
            }
        )
    out["stack"] = rows
    # The filter gradient: x [32,32,128,128] (NCHW), 3x3, 32 -> 32, 9.7 GFLOP.
    torch.backends.cudnn.allow_tf32 = False
    xi = torch.rand(32, 32, 128, 128, device=dev)
    w = torch.rand(32, 32, 3, 3, device=dev)
    gy = torch.rand(32, 32, 128, 128, device=dev)
    ms = timed(lambda: torch.nn.grad.conv2d_weight(xi, w.shape, gy, padding=1), 20, dev)
    ms_fwd = timed(lambda: torch.nn.functional.conv2d(xi, w, padding=1), 20, dev)
    out["conv_32x128x128x32"] = {"dw_ms_fp32": ms, "fwd_ms_fp32": ms_fwd, "gflop": 2 * 32 * 128 * 128 * 32 * 9 * 32 / 1e9}
    return out


if __name__ == "__main__":
    try:
        result = main()
    except Exception as e:  # report, never hide: check.mjs prints it in the table
        result = {"error": f"{type(e).__name__}: {e}"}
    text = json.dumps(result)
    print(text)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if args:
        with open(args[0], "w") as f:
            f.write(text)
