"""The seed's TinySSD training loop in PyTorch (d2l §13.7.2.3), examples/s: batch B of 256x256 images (random
pixels in 0..255, one random box each, the same data every step), SGD lr 0.2, weight decay 5e-4, d2l's per-image
multibox_target. Prints JSON. Used by bench/ssd.mjs.

  /usr/bin/python3 bench/ssd_torch.py --batch 32 --steps 3 --warmup 1 --threads 2
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, '/work/shared/reference')
here = os.path.dirname(os.path.abspath(__file__))
import d2l_reference as d2l  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--batch', type=int, default=32)
p.add_argument('--size', type=int, default=256)
p.add_argument('--steps', type=int, default=3)
p.add_argument('--warmup', type=int, default=1)
p.add_argument('--threads', type=int, default=os.cpu_count())
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
net = d2l.TinySSD(num_classes=1)
trainer = torch.optim.SGD(net.parameters(), lr=0.2, weight_decay=5e-4)
X = torch.rand(a.batch, 3, a.size, a.size) * 255
c = torch.rand(a.batch, 2) * 0.5 + 0.25
Y = torch.cat([torch.zeros(a.batch, 1), c - 0.15, c + 0.15], 1).reshape(a.batch, 1, 5)
net.train()
target_s = 0.0


def step():
    global target_s
    trainer.zero_grad()
    anchors, cls_preds, bbox_preds = net(X)
    t0 = time.perf_counter()
    bbox_labels, bbox_masks, cls_labels = d2l.multibox_target(anchors, Y)
    target_s += time.perf_counter() - t0
    l = d2l.calc_loss(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks)
    l.mean().backward()
    trainer.step()


for _ in range(a.warmup):
    step()
target_s = 0.0
times = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
times.sort()
med = times[len(times) // 2]
print(json.dumps({'torch': torch.__version__, 'threads': a.threads, 'batch': a.batch, 'stepMs': med * 1e3,
                  'examplesPerSecond': a.batch / med, 'targetShare': target_s / sum(times)}))
