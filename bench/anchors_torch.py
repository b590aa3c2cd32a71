#!/usr/bin/python3
"""PyTorch baselines for bench/anchors.mjs: d2l's multibox_target, nms and multibox_detection (Python loops
over tensors, transcribed from d2l.ai §13.4) and torchvision.ops.nms (C++), on the inputs that
bench/anchors.mjs wrote to --data (raw little-endian float32/int32 files described by --data/meta.json).

Run with Debian's torch (apt-get install -y python3-torch python3-torchvision):
    /usr/bin/python3 bench/anchors_torch.py --data DIR [--threads N] [--reps 5] [--budget 3] [--device cpu]
--device cuda runs d2l's functions and torchvision's nms on the GPU (timed with torch.cuda.synchronize).
Prints one JSON object to stdout (progress goes to stderr). Times are milliseconds, the median of up to
--reps runs after one warm-up; a slow function stops after --budget seconds of runs (at least one run).
Each result also records what it returned (kept counts, assigned anchors) so the caller can check that both
sides did the same work.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

try:
    import torchvision
    from torchvision.ops import nms as tv_nms
except ImportError:  # the d2l functions need only torch
    torchvision = None


# ---- d2l §13.4 (verbatim), shared with the goldens: packages/anchors/fixtures/d2l_boxes.py ----
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'packages', 'anchors', 'fixtures'))
from d2l_boxes import multibox_detection, multibox_target, nms  # noqa: E402


SYNC = lambda: None  # noqa: E731


def timed(fn, reps, budget):
    fn()  # warm-up
    SYNC()
    times = []
    t_start = time.perf_counter()
    result = None
    while len(times) < reps and (not times or time.perf_counter() - t_start < budget):
        t0 = time.perf_counter()
        result = fn()
        SYNC()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), times, result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True)
    p.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--budget', type=float, default=3.0)
    p.add_argument('--device', default='cpu')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == 'cuda':
        global SYNC
        SYNC = torch.cuda.synchronize
    meta = json.load(open(os.path.join(args.data, 'meta.json')))

    def load(name):
        spec = meta['arrays'][name]
        a = np.fromfile(os.path.join(args.data, name + '.bin'), dtype=spec['dtype'])
        return torch.from_numpy(a.reshape(spec['shape']).copy()).to(device)

    results = {}
    # multibox_target: d2l's function image by image on each image's real (non-padding) rows.
    anchors = load('anchors')
    labels = load('labels')
    per_image = [labels[i:i + 1][:, labels[i, :, 0] >= 0] for i in range(labels.shape[0])]

    def target():
        outs = [multibox_target(anchors, l) for l in per_image]
        return torch.cat([o[1] for o in outs]).sum().item() / 4

    ms, times, assigned = timed(target, args.reps, args.budget)
    results['multiboxTarget'] = {'d2l': {'ms': ms, 'times': times}, 'assigned': assigned}
    print(f'torch d2l multibox_target batch {labels.shape[0]}: {ms:.1f} ms', file=sys.stderr)

    for case in meta['nms']:
        boxes, scores = load(case + '_boxes'), load(case + '_scores')
        r = {}
        if torchvision is not None:
            ms, times, kept = timed(lambda: tv_nms(boxes, scores, meta['iouThreshold']), args.reps * 4, args.budget)
            r['torchvision'] = {'ms': ms, 'times': times, 'kept': int(kept.numel())}
        ms, times, kept = timed(lambda: nms(boxes, scores, meta['iouThreshold']), args.reps, args.budget)
        r['d2l'] = {'ms': ms, 'times': times, 'kept': int(kept.numel())}
        results['nms:' + case] = r
        tv = f"torchvision {r['torchvision']['ms']:.2f} ms, " if 'torchvision' in r else ''
        print(f"torch nms {case}: {tv}d2l {r['d2l']['ms']:.1f} ms, kept {r['d2l']['kept']}", file=sys.stderr)

    probs, offsets = load('clsProbs'), load('offsetPreds')

    def detect():
        out = multibox_detection(probs, offsets, anchors)
        return int((out[:, :, 0] >= 0).sum().item())

    ms, times, positives = timed(detect, args.reps, args.budget)
    results['multiboxDetection'] = {'d2l': {'ms': ms, 'times': times}, 'positives': positives}
    print(f'torch d2l multibox_detection batch {probs.shape[0]}: {ms:.1f} ms', file=sys.stderr)

    json.dump({'torch': torch.__version__, 'torchvision': torchvision.__version__ if torchvision else None,
               'device': str(device), 'gpu': torch.cuda.get_device_name() if device.type == 'cuda' else None,
               'python': platform.python_version(), 'threads': torch.get_num_threads(),
               'cpuCount': os.cpu_count(), 'reps': args.reps, 'budgetS': args.budget, 'results': results},
              sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
