"""The seed's TinySSD training loop in PyTorch (d2l §13.7.2.3), examples/s: batch B of 256x256 images (random
pixels in 0..255, one random box each, the same data every step), SGD lr 0.2, weight decay 5e-4, d2l's per-image
multibox_target. Prints JSON. Used by bench/ssd.mjs.

  /usr/bin/python3 bench/ssd_torch.py --batch 32 --steps 3 --warmup 1 --threads 2 [--device cpu|cuda]
      [--reference DIR]   (the folder of d2l_reference.py; default $CV_D2L_REFERENCE or /work/shared/reference)
"""
import argparse
import json
import os
import sys
import time

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from torch_lib import device_sync  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('--batch', type=int, default=32)
p.add_argument('--size', type=int, default=256)
p.add_argument('--steps', type=int, default=3)
p.add_argument('--warmup', type=int, default=1)
p.add_argument('--threads', type=int, default=os.cpu_count())
p.add_argument('--device', default='cpu')
p.add_argument('--reference', default=os.environ.get('CV_D2L_REFERENCE', '/work/shared/reference'))
a = p.parse_args()
sys.path.insert(0, a.reference)
import d2l_reference as d2l  # noqa: E402

torch.set_num_threads(a.threads)
torch.manual_seed(0)
net = d2l.TinySSD(num_classes=1)
trainer = torch.optim.SGD(net.parameters(), lr=0.2, weight_decay=5e-4)
X = torch.rand(a.batch, 3, a.size, a.size) * 255
c = torch.rand(a.batch, 2) * 0.5 + 0.25
Y = torch.cat([torch.zeros(a.batch, 1), c - 0.15, c + 0.15], 1).reshape(a.batch, 1, 5)
dev = torch.device(a.device)
net, X, Y = net.to(dev), X.to(dev), Y.to(dev)
sync = device_sync(dev)
net.train()
target_s = 0.0


def step():
    global target_s
    trainer.zero_grad()
    anchors, cls_preds, bbox_preds = net(X)
    sync()
    t0 = time.perf_counter()
    bbox_labels, bbox_masks, cls_labels = d2l.multibox_target(anchors, Y)
    sync()
    target_s += time.perf_counter() - t0
    l = d2l.calc_loss(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks)
    l.mean().backward()
    trainer.step()
    sync()


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
print(json.dumps({'torch': torch.__version__, 'threads': a.threads, 'batch': a.batch,
                  'device': torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu', 'stepMs': med * 1e3,
                  'examplesPerSecond': a.batch / med, 'targetShare': target_s / sum(times)}))
