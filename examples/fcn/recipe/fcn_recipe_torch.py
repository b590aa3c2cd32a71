# Recipe search for examples/fcn: a PyTorch replica of @cv/fcn's training on the generated VOC tree, to compare
# optimizers, schedules, batch sizes and budgets in seconds on a GPU instead of hours on one WASM core.
# Same model as @cv/fcn (torchvision resnet18 children[:-2] + 1x1 conv + ConvTranspose2d(64, stride 32, padding 16)
# initialised with d2l's bilinear kernel), same loss (per-image mean cross entropy over labelled pixels, 255
# ignored, summed over the batch), same metric (mean IoU over the classes present in labels or predictions, in
# eval mode), images decoded from the same JPEG/PNG files. It is a design tool, not part of the package.
#
#   node ../../../packages/datasets-voc/dist/cli.js synth-voc --out /tmp/voc96 --train 8000 --val 100 --size 96x96 --seed 0
#   node ../../../packages/datasets-voc/dist/cli.js synth-voc --out /tmp/voc160 --train 1200 --val 100 --size 160x160 --seed 1
#   python3 fcn_recipe_torch.py configs.json 12 results.jsonl 96=/tmp/voc96/VOCdevkit/VOC2012 160=/tmp/voc160/VOCdevkit/VOC2012
# (results-h100.jsonl: these configs on one H100, 12 workers, about 10 minutes; ntrain=6000 uses the first 6000.)
#
# configs.json: a list of {name, budget (training examples), epoch (examples per epoch), batch, data, ntrain, crop,
# opt (sgd|adam|adamw), lr, mom, wd, sched (const|cos|step), per_step, warmup (steps), flip, seed}; results are
# JSON lines with the val mean IoU after every epoch. Runs that many worker processes on one GPU ('DEV=cpu' works).
import json, math, os, sys, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
import torchvision
from PIL import Image

# The seed's model exactly as the benchmark builds it (bench/fcn_torch.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'bench'))
from fcn_torch import make_fcn  # noqa: E402

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def read_split(voc, split, limit=None):
    ids = open(f'{voc}/ImageSets/Segmentation/{split}.txt').read().split()[:limit]
    imgs, labs = [], []
    for i in ids:
        imgs.append(np.asarray(Image.open(f'{voc}/JPEGImages/{i}.jpg').convert('RGB')))
        pl = Image.open(f'{voc}/SegmentationClass/{i}.png')
        assert pl.mode == 'P', f'{i}.png is not a palette PNG ({pl.mode})'
        labs.append(np.asarray(pl))  # palette indices: 0..20, 255 = border
    return torch.from_numpy(np.stack(imgs)), torch.from_numpy(np.stack(labs))


def miou(conf):
    tp = conf.diag()
    union = conf.sum(0) + conf.sum(1) - tp
    present = union > 0
    iou = tp[present] / union[present]
    return iou.mean().item(), (tp.sum() / conf.sum()).item(), torch.where(present, tp / union.clamp(min=1), torch.nan)


def evaluate(net, vx, vy, dev):
    net.eval()
    conf = torch.zeros(21, 21, dtype=torch.float64, device=dev)
    with torch.no_grad():
        for i in range(0, len(vx), 50):
            x = ((vx[i:i + 50].permute(0, 3, 1, 2).float() / 255) - MEAN.to(dev)) / STD.to(dev)
            y = vy[i:i + 50].long()
            h, w = x.shape[2], x.shape[3]
            ph, pw = (32 - h % 32) % 32, (32 - w % 32) % 32
            logits = net(F.pad(x, (0, pw, 0, ph)))[:, :, :h, :w]
            p = logits.argmax(1)
            m = y != 255
            idx = y[m] * 21 + p[m]
            conf += torch.bincount(idx, minlength=441).reshape(21, 21).double()
    net.train()
    return miou(conf)


def run(cfg, data, dev):
    torch.manual_seed(cfg.get('seed', 0))
    g = torch.Generator(device='cpu').manual_seed(cfg.get('seed', 0))
    tx, ty, vx, vy = data[cfg.get('data', '96')]
    ntrain = min(cfg.get('ntrain', len(tx)), len(tx))
    tx, ty = tx[:ntrain], ty[:ntrain]
    crop = cfg.get('crop', 96)
    bs = cfg.get('batch', 8)
    budget = cfg['budget']
    epoch_size = cfg.get('epoch', 400)
    steps_per_epoch = max(1, epoch_size // bs)
    epochs = max(1, round(budget / (steps_per_epoch * bs)))
    total = epochs * steps_per_epoch
    net = make_fcn().to(dev)
    if cfg.get('channels_last'):
        net = net.to(memory_format=torch.channels_last)
    params = net.parameters()
    opt_name = cfg.get('opt', 'sgd')
    lr = cfg['lr']
    wd = cfg.get('wd', 1e-4)
    if opt_name == 'sgd':
        opt = torch.optim.SGD(params, lr=lr, momentum=cfg.get('mom', 0.9), weight_decay=wd)
    elif opt_name == 'adam':
        opt = torch.optim.Adam(params, lr=lr, weight_decay=wd)
    elif opt_name == 'adamw':
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    sched = cfg.get('sched', 'const')
    warm = cfg.get('warmup', 0)  # steps
    per_step = cfg.get('per_step', True)

    def lr_at(step, epoch):
        if warm and step < warm:
            return lr * (step + 1) / warm
        if sched == 'const':
            return lr
        if sched == 'cos':
            t = (step if per_step else epoch * steps_per_epoch) / total
            return cfg.get('eta_min', 0) + (lr - cfg.get('eta_min', 0)) * 0.5 * (1 + math.cos(math.pi * t))
        if sched == 'step':
            return lr * (0.1 if step >= total * 2 / 3 else 1)
        raise ValueError(sched)

    meanD, stdD = MEAN.to(dev), STD.to(dev)
    H, W = tx.shape[1], tx.shape[2]
    curve = []
    t0 = time.time()
    step = 0
    order = torch.randperm(ntrain, generator=g)
    pos = 0
    for ep in range(epochs):
        lsum = n = 0
        for s in range(steps_per_epoch):
            if pos + bs > ntrain:
                order = torch.randperm(ntrain, generator=g)
                pos = 0
            idx = order[pos:pos + bs]
            pos += bs
            xb = tx[idx]
            yb = ty[idx]
            if crop < H or crop < W:
                top = torch.randint(0, H - crop + 1, (bs,), generator=g)
                left = torch.randint(0, W - crop + 1, (bs,), generator=g)
                xb = torch.stack([xb[i, top[i]:top[i] + crop, left[i]:left[i] + crop] for i in range(bs)])
                yb = torch.stack([yb[i, top[i]:top[i] + crop, left[i]:left[i] + crop] for i in range(bs)])
            if cfg.get('flip'):
                f = torch.rand(bs, generator=g) < 0.5
                xb = torch.where(f.view(-1, 1, 1, 1).to(xb.device), xb.flip(2), xb)
                yb = torch.where(f.view(-1, 1, 1).to(yb.device), yb.flip(2), yb)
            x = ((xb.permute(0, 3, 1, 2).float() / 255) - meanD) / stdD
            if cfg.get('channels_last'):
                x = x.contiguous(memory_format=torch.channels_last)
            y = yb.long()
            for gp in opt.param_groups:
                gp['lr'] = lr_at(step, ep)
            logits = net(x)
            per = F.cross_entropy(logits, y, reduction='none', ignore_index=255)
            valid = (y != 255).float()
            loss = (per.sum((1, 2)) / valid.sum((1, 2)).clamp(min=1)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            lsum += loss.item() if s % 10 == 0 else 0
        m, acc, _ = evaluate(net, vx, vy, dev)
        curve.append((ep + 1, (ep + 1) * steps_per_epoch * bs, round(m, 4), round(acc, 4)))
    m, acc, per_class = evaluate(net, vx, vy, dev)
    return {'cfg': cfg, 'curve': curve, 'final_miou': round(m, 4), 'final_acc': round(acc, 4),
            'best_miou': max(c[2] for c in curve), 'secs': round(time.time() - t0, 1),
            'per_class': [None if math.isnan(v) else round(v, 3) for v in per_class.tolist()]}


def load_all(dev, trees):
    data = {}
    for name, voc in trees.items():
        tx, ty = read_split(voc, 'train')
        vx, vy = read_split(voc, 'val')
        data[name] = (tx.to(dev), ty.to(dev), vx.to(dev), vy.to(dev))
    return data


def worker(args):
    wid, cfgs, out, trees = args
    torch.backends.cudnn.benchmark = True
    dev = os.environ.get('DEV', 'cuda')
    data = load_all(dev, {k: v for k, v in trees.items() if any(c.get('data', '96') == k for c in cfgs)})
    with open(out, 'a') as f:
        for cfg in cfgs:
            try:
                r = run(cfg, data, dev)
            except Exception as e:  # noqa
                r = {'cfg': cfg, 'error': repr(e)}
            f.write(json.dumps(r) + '\n')
            f.flush()
            print(wid, json.dumps({k: r.get(k) for k in ('cfg', 'final_miou', 'best_miou', 'secs', 'error')}), flush=True)


if __name__ == '__main__':
    import multiprocessing as mp
    cfgs = json.load(open(sys.argv[1]))
    nproc = int(sys.argv[2])
    out = sys.argv[3]
    trees = dict(a.split('=', 1) for a in sys.argv[4:])
    chunks = [cfgs[i::nproc] for i in range(nproc)]
    mp.set_start_method('spawn')
    with mp.Pool(nproc) as p:
        p.map(worker, [(i, c, out, trees) for i, c in enumerate(chunks) if c])
