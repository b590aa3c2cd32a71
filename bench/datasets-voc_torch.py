#!/usr/bin/python3
"""PyTorch/torchvision (CPU) baseline for bench/datasets-voc.mjs: d2l's data pipelines on the same files.

- VOC: per image, torchvision.io.read_image of JPEGImages/<id>.jpg and of SegmentationClass/<id>.png in RGB
  mode (d2l's read_voc_images), voc_rand_crop (RandomCrop.get_params + crop of both), the image normalized
  (img.float() / 255, Normalize(ImageNet mean, std)) and voc_label_indices through colormap2label (d2l);
  and the same without the decode (the tensors already in memory, as d2l keeps them).
- Bananas: read_image of each 256x256 PNG and .float() (d2l's read_data_bananas + BananasDataset).

Run with Debian's torch (apt-get install -y python3-torch python3-torchvision):
    /usr/bin/python3 bench/datasets-voc_torch.py --voc DIR --bananas DIR --crop 320x480 [--threads N] [--reps 5]
Prints one JSON object: images/s (median of --reps passes over all files after one warm-up pass).
"""

import argparse
import json
import os
import platform

import torch
import torchvision
from torchvision.io import ImageReadMode, read_image

from torch_lib import median_ms

VOC_COLORMAP = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128], [128, 0, 128],
                [0, 128, 128], [128, 128, 128], [64, 0, 0], [192, 0, 0], [64, 128, 0], [192, 128, 0],
                [64, 0, 128], [192, 0, 128], [64, 128, 128], [192, 128, 128], [0, 64, 0], [128, 64, 0],
                [0, 192, 0], [128, 192, 0], [0, 64, 128]]


def voc_colormap2label():
    colormap2label = torch.zeros(256 ** 3, dtype=torch.long)
    for i, colormap in enumerate(VOC_COLORMAP):
        colormap2label[(colormap[0] * 256 + colormap[1]) * 256 + colormap[2]] = i
    return colormap2label


def voc_label_indices(colormap, colormap2label):
    colormap = colormap.permute(1, 2, 0).numpy().astype('int32')
    idx = ((colormap[:, :, 0] * 256 + colormap[:, :, 1]) * 256 + colormap[:, :, 2])
    return colormap2label[idx]


def voc_rand_crop(feature, label, height, width):
    rect = torchvision.transforms.RandomCrop.get_params(feature, (height, width))
    feature = torchvision.transforms.functional.crop(feature, *rect)
    label = torchvision.transforms.functional.crop(label, *rect)
    return feature, label


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--voc', required=True)
    p.add_argument('--bananas', required=True)
    p.add_argument('--crop', default='320x480')
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--reps', type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    h, w = (int(v) for v in a.crop.split('x'))
    normalize = torchvision.transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    c2l = voc_colormap2label()
    with open(os.path.join(a.voc, 'ImageSets', 'Segmentation', 'train.txt')) as f:
        ids = f.read().split()
    jpgs = [os.path.join(a.voc, 'JPEGImages', f'{i}.jpg') for i in ids]
    pngs = [os.path.join(a.voc, 'SegmentationClass', f'{i}.png') for i in ids]

    def crop_norm(img, lab):
        f, l = voc_rand_crop(img, lab, h, w)
        return normalize(f.float() / 255), voc_label_indices(l, c2l)

    def voc_decode():
        for j, pn in zip(jpgs, pngs):
            crop_norm(read_image(j), read_image(pn, ImageReadMode.RGB))

    decoded = [(read_image(j), read_image(pn, ImageReadMode.RGB)) for j, pn in zip(jpgs, pngs)]

    def voc_cached():
        for img, lab in decoded:
            crop_norm(img, lab)

    bdir = os.path.join(a.bananas, 'bananas_train', 'images')
    bfiles = [os.path.join(bdir, f) for f in sorted(os.listdir(bdir))]

    def bananas():
        for f in bfiles:
            read_image(f).float()

    out = {'torch': torch.__version__, 'torchvision': torchvision.__version__, 'threads': a.threads,
           'python': platform.python_version(), 'crop': [h, w], 'vocImages': len(ids), 'bananaImages': len(bfiles)}
    for name, fn, n in [('vocDecodeCropNormalize', voc_decode, len(ids)), ('vocCropNormalize', voc_cached, len(ids)),
                        ('bananasDecode', bananas, len(bfiles))]:
        ms, _ = median_ms(fn, 1, a.reps)
        out[name] = {'ms': ms, 'imagesPerS': n / (ms / 1e3)}
    print(json.dumps(out))


main()
