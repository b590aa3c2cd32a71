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


# ---- d2l §13.4 (verbatim) ----
def box_corner_to_center(boxes):
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), axis=-1)


def box_center_to_corner(boxes):
    cx, cy, w, h = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    return torch.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), axis=-1)


def box_iou(boxes1, boxes2):
    box_area = lambda boxes: ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    areas1 = box_area(boxes1)
    areas2 = box_area(boxes2)
    inter_upperlefts = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    inter_lowerrights = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    inters = (inter_lowerrights - inter_upperlefts).clamp(min=0)
    inter_areas = inters[:, :, 0] * inters[:, :, 1]
    union_areas = areas1[:, None] + areas2 - inter_areas
    return inter_areas / union_areas


def assign_anchor_to_bbox(ground_truth, anchors, device, iou_threshold=0.5):
    num_anchors, num_gt_boxes = anchors.shape[0], ground_truth.shape[0]
    jaccard = box_iou(anchors, ground_truth)
    anchors_bbox_map = torch.full((num_anchors,), -1, dtype=torch.long, device=device)
    max_ious, indices = torch.max(jaccard, dim=1)
    anc_i = torch.nonzero(max_ious >= iou_threshold).reshape(-1)
    box_j = indices[max_ious >= iou_threshold]
    anchors_bbox_map[anc_i] = box_j
    col_discard = torch.full((num_anchors,), -1)
    row_discard = torch.full((num_gt_boxes,), -1)
    for _ in range(num_gt_boxes):
        max_idx = torch.argmax(jaccard)
        box_idx = (max_idx % num_gt_boxes).long()
        anc_idx = (max_idx / num_gt_boxes).long()
        anchors_bbox_map[anc_idx] = box_idx
        jaccard[:, box_idx] = col_discard
        jaccard[anc_idx, :] = row_discard
    return anchors_bbox_map


def offset_boxes(anchors, assigned_bb, eps=1e-6):
    c_anc = box_corner_to_center(anchors)
    c_assigned_bb = box_corner_to_center(assigned_bb)
    offset_xy = 10 * (c_assigned_bb[:, :2] - c_anc[:, :2]) / c_anc[:, 2:]
    offset_wh = 5 * torch.log(eps + c_assigned_bb[:, 2:] / c_anc[:, 2:])
    return torch.cat([offset_xy, offset_wh], axis=1)


def multibox_target(anchors, labels):
    batch_size, anchors = labels.shape[0], anchors.squeeze(0)
    batch_offset, batch_mask, batch_class_labels = [], [], []
    device, num_anchors = anchors.device, anchors.shape[0]
    for i in range(batch_size):
        label = labels[i, :, :]
        anchors_bbox_map = assign_anchor_to_bbox(label[:, 1:], anchors, device)
        bbox_mask = ((anchors_bbox_map >= 0).float().unsqueeze(-1)).repeat(1, 4)
        class_labels = torch.zeros(num_anchors, dtype=torch.long, device=device)
        assigned_bb = torch.zeros((num_anchors, 4), dtype=torch.float32, device=device)
        indices_true = torch.nonzero(anchors_bbox_map >= 0)
        bb_idx = anchors_bbox_map[indices_true]
        class_labels[indices_true] = label[bb_idx, 0].long() + 1
        assigned_bb[indices_true] = label[bb_idx, 1:]
        offset = offset_boxes(anchors, assigned_bb) * bbox_mask
        batch_offset.append(offset.reshape(-1))
        batch_mask.append(bbox_mask.reshape(-1))
        batch_class_labels.append(class_labels)
    return (torch.stack(batch_offset), torch.stack(batch_mask), torch.stack(batch_class_labels))


def offset_inverse(anchors, offset_preds):
    anc = box_corner_to_center(anchors)
    pred_bbox_xy = (offset_preds[:, :2] * anc[:, 2:] / 10) + anc[:, :2]
    pred_bbox_wh = torch.exp(offset_preds[:, 2:] / 5) * anc[:, 2:]
    pred_bbox = torch.cat((pred_bbox_xy, pred_bbox_wh), axis=1)
    return box_center_to_corner(pred_bbox)


def nms(boxes, scores, iou_threshold):
    B = torch.argsort(scores, dim=-1, descending=True)
    keep = []
    while B.numel() > 0:
        i = B[0]
        keep.append(i)
        if B.numel() == 1:
            break
        iou = box_iou(boxes[i, :].reshape(-1, 4), boxes[B[1:], :].reshape(-1, 4)).reshape(-1)
        inds = torch.nonzero(iou <= iou_threshold).reshape(-1)
        B = B[inds + 1]
    return torch.tensor(keep, device=boxes.device)


def multibox_detection(cls_probs, offset_preds, anchors, nms_threshold=0.5, pos_threshold=0.009999999):
    device, batch_size = cls_probs.device, cls_probs.shape[0]
    anchors = anchors.squeeze(0)
    num_classes, num_anchors = cls_probs.shape[1], cls_probs.shape[2]
    out = []
    for i in range(batch_size):
        cls_prob, offset_pred = cls_probs[i], offset_preds[i].reshape(-1, 4)
        conf, class_id = torch.max(cls_prob[1:], 0)
        predicted_bb = offset_inverse(anchors, offset_pred)
        keep = nms(predicted_bb, conf, nms_threshold)
        all_idx = torch.arange(num_anchors, dtype=torch.long, device=device)
        combined = torch.cat((keep, all_idx))
        uniques, counts = combined.unique(return_counts=True)
        non_keep = uniques[counts == 1]
        all_id_sorted = torch.cat((keep, non_keep))
        class_id[non_keep] = -1
        class_id = class_id[all_id_sorted]
        conf, predicted_bb = conf[all_id_sorted], predicted_bb[all_id_sorted]
        below_min_idx = (conf < pos_threshold)
        class_id[below_min_idx] = -1
        conf[below_min_idx] = 1 - conf[below_min_idx]
        pred_info = torch.cat((class_id.unsqueeze(1), conf.unsqueeze(1), predicted_bb), dim=1)
        out.append(pred_info)
    return torch.stack(out)


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
