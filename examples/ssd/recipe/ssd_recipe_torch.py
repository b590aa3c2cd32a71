# Recipe search for examples/ssd: the seed's TinySSD and training loop in PyTorch (d2l_reference.py) on the very
# bananas that `node main.mjs` generates (out/data), with validation AP@0.5 (VOC07 11-point, detections above 0.01,
# as @cv/ssd's evaluateSsd) after every epoch. It answers "what does this recipe reach on this data?" in minutes
# instead of hours on WASM, so that only the recipes worth it are run in JavaScript. A design tool, not a package.
# The options mirror @cv/ssd's (--hard-negatives: hardNegativeRatio, --box-norm: bboxNormalization, --sizes:
# ssdAnchorSizes, --sched cos: trainSsd's schedule 'cosine'); one difference: BatchNorm sees the whole batch of 32,
# where examples/ssd accumulates chunks of 8.
#
#   /usr/bin/python3 ssd_recipe_torch.py --data ../out/data --epochs 20 [--lr 0.2] [--momentum 0] [--sched const|cos]
#       [--flip] [--hard-negatives R] [--smooth-l1] [--box-norm all|positives] [--box-weight W] [--sizes 0.1,0.5]
#       [--batch 32] [--threads 2] [--seed 0] [--out FILE.jsonl]
#
# results.jsonl holds the runs behind examples/ssd's --recipe improved (one JSON line per epoch with its arguments;
# 2-core x86 machine, one thread per run, two runs at a time, about 3 minutes an epoch):
#   the seed's recipe, AP 0.319 after 20 epochs:      --epochs 20
#   the seed's recipe with anchors from 0.1 to 0.5, AP 0.001 after 2 (stopped):   --epochs 12 --sizes 0.1,0.5
#   improved (the example's --recipe improved), AP 0.934 after 8:
#     --epochs 8 --flip --hard-negatives 3 --smooth-l1 --box-norm positives --lr 0.01 --momentum 0.9 --sched cos --sizes 0.1,0.5
#   the same with d2l's anchor sizes, AP 0.596 after 8: the line above without --sizes
import argparse, csv, json, math, os, sys, time
import numpy as np
import torch, torch.nn.functional as F
import torchvision
from PIL import Image

p = argparse.ArgumentParser()
p.add_argument('--data', required=True)
p.add_argument('--epochs', type=int, default=20)
p.add_argument('--batch', type=int, default=32)
p.add_argument('--lr', type=float, default=0.2)
p.add_argument('--wd', type=float, default=5e-4)
p.add_argument('--momentum', type=float, default=0.0)
p.add_argument('--sched', default='const', choices=['const', 'cos'])
p.add_argument('--warmup', type=int, default=0, help='linear warm-up steps')
p.add_argument('--flip', action='store_true')
p.add_argument('--hard-negatives', type=float, default=0)
p.add_argument('--smooth-l1', action='store_true')
p.add_argument('--box-norm', default='all', choices=['all', 'positives'], help="@cv/ssd's bboxNormalization")
p.add_argument('--box-weight', type=float, default=1.0, help="@cv/ssd's bboxWeight")
p.add_argument('--sizes', default=None, help='MIN,MAX: ssdAnchorSizes(MIN, MAX) instead of d2l sizes')
p.add_argument('--threads', type=int, default=2)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--out', default=None)
p.add_argument('--reference', default=os.environ.get('CV_D2L_REFERENCE', '/work/shared/reference'))
a = p.parse_args()
sys.path.insert(0, a.reference)
import d2l_reference as d2l  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'packages',
                                'datasets-voc', 'fixtures'))
from voc_eval_reference import voc_eval  # noqa: E402

torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)


def read_split(d):
    rows = list(csv.DictReader(open(os.path.join(d, 'label.csv'))))
    x = np.stack([np.asarray(Image.open(os.path.join(d, 'images', r['img_name'])).convert('RGB')) for r in rows])
    y = torch.tensor([[[float(r['label']), float(r['xmin']), float(r['ymin']), float(r['xmax']), float(r['ymax'])]]
                      for r in rows]) / torch.tensor([1, 256, 256, 256, 256.])
    return torch.from_numpy(x).permute(0, 3, 1, 2).float(), y  # d2l: pixel values 0..255, boxes / 256


tx, ty = read_split(os.path.join(a.data, 'bananas_train'))
vx, vy = read_split(os.path.join(a.data, 'bananas_val'))

if a.sizes:
    lo, hi = map(float, a.sizes.split(','))
    # ssdAnchorSizes(lo, hi): the SSD paper's 5 linear scales, the second size of each the geometric mean with the next
    s = [lo + (hi - lo) * k / 4 for k in range(5)] + [hi + (hi - lo) / 4]
    d2l_sizes = [[s[k], math.sqrt(s[k] * s[k + 1])] for k in range(5)]
    d2l.sizes = d2l_sizes
net = d2l.TinySSD(num_classes=1)
if a.sizes:
    print('sizes', [[round(v, 3) for v in z] for z in d2l.sizes], flush=True)
opt = torch.optim.SGD(net.parameters(), lr=a.lr, weight_decay=a.wd, momentum=a.momentum)
steps_per_epoch = math.ceil(len(tx) / a.batch)
total = steps_per_epoch * a.epochs


def lr_at(step):
    # cos: @cv/ssd's schedule 'cosine' (CosineAnnealingLR(T_max = epochs) stepped after every epoch)
    f = 1.0 if a.sched == 'const' else 0.5 * (1 + math.cos(math.pi * (step // steps_per_epoch) / a.epochs))
    if a.warmup and step < a.warmup:
        f *= (step + 1) / a.warmup
    return a.lr * f


def loss_fn(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks):
    b, c = cls_preds.shape[0], cls_preds.shape[2]
    ce = F.cross_entropy(cls_preds.reshape(-1, c), cls_labels.reshape(-1), reduction='none').reshape(b, -1)
    if a.hard_negatives > 0:  # keep all positives and the R x positives hardest negatives per image
        pos = cls_labels > 0
        neg_loss = ce.detach().clone()
        neg_loss[pos] = -1
        rank = neg_loss.argsort(1, descending=True).argsort(1)
        keep = pos | (rank < (a.hard_negatives * pos.sum(1, keepdim=True)).clamp(min=1))
        cls = (ce * keep).sum(1) / keep.sum(1).clamp(min=1)
    else:
        cls = ce.mean(1)
    diff = (bbox_preds - bbox_labels) * bbox_masks
    if a.smooth_l1:
        elems = F.smooth_l1_loss(bbox_preds * bbox_masks, bbox_labels * bbox_masks, reduction='none')
    else:
        elems = diff.abs()
    box = elems.mean(1) if a.box_norm == 'all' else elems.sum(1) / bbox_masks.sum(1).clamp(min=1)
    return cls + a.box_weight * box


def evaluate():
    net.eval()
    dets, recs = [], {}
    with torch.no_grad():
        for i in range(0, len(vx), 50):
            anchors, cls_preds, bbox_preds = net(vx[i:i + 50])
            probs = F.softmax(cls_preds, dim=2)[:, :, 1]
            for j in range(probs.shape[0]):
                name = str(i + j)
                boxes = d2l.offset_inverse(anchors.squeeze(0), bbox_preds[j].reshape(-1, 4))
                keep = torchvision.ops.nms(boxes, probs[j], 0.5)
                keep = keep[probs[j][keep] >= 0.01]
                dets += [[name, float(probs[j][k]), *boxes[k].tolist()] for k in keep[:100]]
                recs[name] = [{'name': 'banana', 'bbox': vy[i + j, 0, 1:].tolist(), 'difficult': 0}]
    net.train()
    # The reference that @cv/datasets-voc's evaluator (and so @cv/ssd's evaluateSsd) is tested against.
    return float(voc_eval(dets, recs, list(recs), 'banana', use_07_metric=True, plus_one=False)[2])


step = 0
log = open(a.out, 'a') if a.out else None
t_start = time.time()
for epoch in range(1, a.epochs + 1):
    perm = torch.randperm(len(tx))
    s_loss = s_cls = s_box = n_cls = n_box = 0.0
    for b0 in range(0, len(tx), a.batch):
        idx = perm[b0:b0 + a.batch]
        X, Y = tx[idx], ty[idx].clone()
        if a.flip:
            f = torch.rand(len(idx)) < 0.5
            X[f] = X[f].flip(3)
            x1 = 1 - Y[f, :, 3]; x2 = 1 - Y[f, :, 1]
            Y[f, :, 1], Y[f, :, 3] = x1, x2
        for g in opt.param_groups:
            g['lr'] = lr_at(step)
        opt.zero_grad()
        anchors, cls_preds, bbox_preds = net(X)
        bbox_labels, bbox_masks, cls_labels = d2l.multibox_target(anchors, Y)
        l = loss_fn(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks)
        l.mean().backward()
        opt.step()
        step += 1
        with torch.no_grad():
            s_loss += float(l.sum())
            s_cls += float((cls_preds.argmax(-1).type(cls_labels.dtype) == cls_labels).sum()); n_cls += cls_labels.numel()
            s_box += float(((bbox_labels - bbox_preds) * bbox_masks).abs().sum()); n_box += bbox_labels.numel()
    ap = evaluate()
    rec = {'epoch': epoch, 'loss': s_loss / len(tx), 'classErr': 1 - s_cls / n_cls, 'bboxMae': s_box / n_box,
           'valAP': ap, 'lr': lr_at(step - 1), 'seconds': round(time.time() - t_start, 1), 'args': vars(a)}
    print(json.dumps({k: v for k, v in rec.items() if k != 'args'}), flush=True)
    if log:
        log.write(json.dumps(rec) + '\n'); log.flush()
