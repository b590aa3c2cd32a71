#!/usr/bin/python3
"""PyTorch (CPU) baseline for bench/fcn.mjs: the seed's FCN (d2l 13.11: torchvision resnet18 without avgpool
and fc, a 1x1 conv to 21 classes, ConvTranspose2d(21, 21, 64, stride 32, padding 16) with d2l's bilinear
kernel), random weights, trained with the seed's SGD(lr=1e-3, weight_decay=1e-3) on random images and labels
(255 = ignore on ~5% of the pixels); the loss is @cv/fcn's fcnLoss (per-image pixel mean, summed over the batch,
d2l's l.sum()). Also the eval-mode forward of one image.

Run with Debian's torch (apt-get install -y python3-torch python3-torchvision):
    /usr/bin/python3 bench/fcn_torch.py [--batch 8] [--height 320] [--width 480] [--threads N] [--warmup 1] [--reps 3]
        [--device cpu|cuda]   (cuda: bench/gpu/run.sh, on the same GPU as @cv's webgpu step)
Prints one JSON object to stdout. Times are milliseconds, median of --reps after --warmup untimed runs.
"""

import argparse
import json
import platform

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from torch_lib import device_sync, median_ms


def bilinear_kernel(in_channels, out_channels, kernel_size):
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = (torch.arange(kernel_size).reshape(-1, 1), torch.arange(kernel_size).reshape(1, -1))
    filt = (1 - torch.abs(og[0] - center) / factor) * (1 - torch.abs(og[1] - center) / factor)
    weight = torch.zeros((in_channels, out_channels, kernel_size, kernel_size))
    weight[range(in_channels), range(out_channels), :, :] = filt
    return weight


def make_fcn(num_classes=21):
    """The seed's FCN (d2l 13.11): resnet18 without avgpool and fc, a 1x1 conv to the classes, and a
    ConvTranspose2d(64, stride 32, padding 16) initialised with the bilinear kernel."""
    net = nn.Sequential(*list(torchvision.models.resnet18().children())[:-2])
    net.add_module("final_conv", nn.Conv2d(512, num_classes, kernel_size=1))
    net.add_module(
        "transpose_conv", nn.ConvTranspose2d(num_classes, num_classes, kernel_size=64, padding=16, stride=32)
    )
    net.transpose_conv.weight.data.copy_(bilinear_kernel(num_classes, num_classes, 64))
    return net


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--height", type=int, default=320)
    p.add_argument("--width", type=int, default=480)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = make_fcn(21)
    trainer = torch.optim.SGD(net.parameters(), lr=1e-3, weight_decay=1e-3)
    x = torch.randn(a.batch, 3, a.height, a.width)
    y = torch.randint(0, 21, (a.batch, a.height, a.width))
    y[torch.rand(y.shape) < 0.05] = 255
    dev = torch.device(a.device)
    net, x, y = net.to(dev), x.to(dev), y.to(dev)
    sync = device_sync(dev)

    def step():
        net.train()
        trainer.zero_grad()
        out = net(x)
        per_pixel = F.cross_entropy(out, y, reduction="none", ignore_index=255)
        valid = (y != 255).float()
        loss = (per_pixel.sum(dim=(1, 2)) / valid.sum(dim=(1, 2)).clamp(min=1)).sum()
        loss.backward()
        trainer.step()

    train_ms, train_times = median_ms(step, a.warmup, a.reps, sync)
    net.eval()
    x1 = x[:1]

    def infer():
        with torch.no_grad():
            net(x1).argmax(dim=1)

    eval_ms, eval_times = median_ms(infer, a.warmup, a.reps, sync)
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "torchvision": torchvision.__version__,
                "python": platform.python_version(),
                "threads": a.threads,
                "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
                "batch": a.batch,
                "size": [a.height, a.width],
                "trainStepMs": train_ms,
                "trainTimes": train_times,
                "trainExamplesPerSecond": a.batch / (train_ms / 1e3),
                "predictMs": eval_ms,
                "predictTimes": eval_times,
            }
        )
    )


if __name__ == "__main__":
    main()
