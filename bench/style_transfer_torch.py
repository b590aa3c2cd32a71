#!/usr/bin/python3
"""PyTorch (CPU) baseline for bench/style-transfer.mjs: seconds per optimisation step of d2l's style transfer
(VGG-19 features[0..28] with torchvision's default random initialisation, d2l's extract_features, losses with
weights 1 / 1e4 / 10, Adam lr 0.3 on the image) at --size H,W, on the same content and style images as the
tfjs side (the example's photos, resized with PIL as d2l's preprocess does).

Run with Debian's torch (apt-get install -y python3-torch python3-torchvision):
    /usr/bin/python3 bench/style_transfer_torch.py --content a.png --style b.jpg [--size 300,450]
        [--threads N] [--warmup 1] [--reps 3] [--device cpu|cuda]
Prints one JSON object to stdout. Times are seconds per step, median of --reps after --warmup untimed steps.
"""

import argparse
import json
import platform
import statistics
import time

import torch
import torchvision
from PIL import Image

CONTENT_LAYERS, STYLE_LAYERS = [25], [0, 5, 10, 19, 28]
MEAN, STD = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])


def preprocess(img, shape):
    t = torchvision.transforms.Compose([
        torchvision.transforms.Resize(shape),
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize(mean=MEAN, std=STD)])
    return t(img).unsqueeze(0)


def extract_features(net, X):
    contents, styles = [], []
    for i in range(len(net)):
        X = net[i](X)
        if i in STYLE_LAYERS:
            styles.append(X)
        if i in CONTENT_LAYERS:
            contents.append(X)
    return contents, styles


def gram(X):
    c, n = X.shape[1], X.numel() // X.shape[1]
    X = X.reshape((c, n))
    return torch.matmul(X, X.T) / (c * n)


def tv_loss(Y):
    return 0.5 * (torch.abs(Y[:, :, 1:, :] - Y[:, :, :-1, :]).mean() + torch.abs(Y[:, :, :, 1:] - Y[:, :, :, :-1]).mean())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--content", required=True)
    p.add_argument("--style", required=True)
    p.add_argument("--size", default="300,450")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    shape = tuple(int(v) for v in a.size.split(","))
    vgg = torchvision.models.vgg19().features
    net = torch.nn.Sequential(*[vgg[i] for i in range(max(CONTENT_LAYERS + STYLE_LAYERS) + 1)])
    for p_ in net.parameters():
        p_.requires_grad_(False)
    dev = torch.device(a.device)
    net = net.to(dev)
    content_X = preprocess(Image.open(a.content).convert("RGB"), shape).to(dev)
    style_X = preprocess(Image.open(a.style).convert("RGB"), shape).to(dev)
    with torch.no_grad():
        contents_Y, _ = extract_features(net, content_X)
        _, styles_Y = extract_features(net, style_X)
        styles_Y_gram = [gram(Y) for Y in styles_Y]
    X = torch.nn.Parameter(content_X.clone())
    trainer = torch.optim.Adam([X], lr=0.3)
    scheduler = torch.optim.lr_scheduler.StepLR(trainer, 50, 0.8)

    def step():
        trainer.zero_grad()
        c_hat, s_hat = extract_features(net, X)
        l = sum([torch.square(gram(Y) - G).mean() * 1e4 for Y, G in zip(s_hat, styles_Y_gram)]
                + [torch.square(Y - T).mean() for Y, T in zip(c_hat, contents_Y)]
                + [tv_loss(X) * 10])
        l.backward()
        trainer.step()
        scheduler.step()
        return float(l)

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(json.dumps({
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "size": list(shape),
        "secondsPerStep": statistics.median(times),
        "times": times,
    }))


if __name__ == "__main__":
    main()
