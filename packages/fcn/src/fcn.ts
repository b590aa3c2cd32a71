import { Conv2d, Module } from '@cv/core';
import { ConvTranspose2d } from '@cv/transposed-conv';
import type * as tf from '@tensorflow/tfjs-core';
import { checkImageBatch, type ResNet, resnet18 } from './resnet.js';

/** The 21 classes of Pascal VOC (background + 20 objects). */
export const VOC_NUM_CLASSES = 21;

export interface FCNOptions {
  /** Output classes. Default 21 (Pascal VOC). */
  numClasses?: number;
  /**
   * The ResNet whose layers become the backbone (e.g. one with ImageNet weights loaded). Its modules are
   * shared, not copied: the FCN owns it from then on (`dispose()` disposes it). Default: a new `resnet18()`
   * with torchvision's random initialisation.
   */
  backbone?: ResNet;
}

/**
 * The fully convolutional network of d2l 13.11 (the seed's §11): ResNet-18 without its global average pool
 * and fc, a 1x1 convolution to `numClasses`, and a `ConvTranspose2d(numClasses, numClasses, kernel 64,
 * stride 32, padding 16)` initialised with d2l's `bilinear_kernel` (bias: PyTorch's default init).
 *
 * - input `[N, H, W, 3]` (ImageNet-normalized RGB) → logits `[N, 32·⌈H/32⌉, 32·⌈W/32⌉, numClasses]`: the same
 *   height and width as the input when they are multiples of 32 (320x480 → 10x15 features → 320x480);
 * - state-dict names are those of the seed's `nn.Sequential(*list(resnet18.children())[:-2])` with
 *   `final_conv` and `transpose_conv` added: `0.weight` (conv1), `1.*` (bn1), `4.0.conv1.weight` (layer1),
 *   ..., `7.1.bn2.running_var` (layer4), `final_conv.weight`, `transpose_conv.weight`. A state dict of the
 *   seed's PyTorch `net` loads by name; ImageNet backbone weights load with `loadResNetWeights(fcn.backbone, …)`.
 */
export class FCN extends Module {
  readonly numClasses: number;
  /** The ResNet whose `conv1` … `layer4` are this network's `0` … `7` (its `fc` is unused). */
  readonly backbone: ResNet;
  readonly finalConv: Conv2d;
  readonly transposeConv: ConvTranspose2d;

  constructor(options: FCNOptions = {}) {
    super();
    const numClasses = options.numClasses ?? VOC_NUM_CLASSES;
    if (!Number.isInteger(numClasses) || numClasses < 1)
      throw new Error(`FCN: options.numClasses must be an integer ≥ 1, got ${String(numClasses)}`);
    this.numClasses = numClasses;
    const b = options.backbone ?? resnet18();
    this.backbone = b;
    const children = [b.conv1, b.bn1, b.relu, b.maxpool, b.layer1, b.layer2, b.layer3, b.layer4];
    children.forEach((m, i) => {
      this.registerModule(String(i), m);
    });
    this.finalConv = this.registerModule('final_conv', new Conv2d(512, numClasses, 1));
    this.transposeConv = this.registerModule(
      'transpose_conv',
      new ConvTranspose2d(numClasses, numClasses, 64, { stride: 32, padding: 16, init: 'bilinear' }),
    );
  }

  /** `[N, H, W, 3]` → `[N, 32·⌈H/32⌉, 32·⌈W/32⌉, numClasses]` per-pixel class scores (logits). */
  forward(x: tf.Tensor): tf.Tensor4D {
    checkImageBatch('FCN.forward', x);
    const features = this.backbone.features(x);
    return this.transposeConv.apply(this.finalConv.apply(features)) as tf.Tensor4D;
  }

  /** Training mode on the backbone (its unused fc included) and the head. */
  override train(mode = true): this {
    this.backbone.train(mode);
    return super.train(mode);
  }

  /** Disposes the head and the whole backbone (its `fc` too). */
  override dispose(): void {
    super.dispose();
    if (!this.backbone.isDisposed) this.backbone.dispose();
  }
}
