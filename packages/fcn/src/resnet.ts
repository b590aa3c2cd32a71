import { BatchNorm2d, Conv2d, Linear, MaxPool2d, Module, ReLU, Sequential } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * torchvision's weight initialisation for ResNet convolutions: `kaiming_normal_(mode='fan_out',
 * nonlinearity='relu')`, a normal with std √(2 / (out·kh·kw)). (BatchNorm keeps weight 1, bias 0.)
 */
function kaimingFanOut(conv: Conv2d): Conv2d {
  const [kh, kw] = conv.kernelSize;
  const std = Math.sqrt(2 / (conv.outChannels * kh * kw));
  tf.tidy(() => conv.weight.assign(tf.randomNormal(conv.weight.shape, 0, std)));
  return conv;
}

/** `Conv2d(in, out, 3, stride, padding 1, bias=False)`, torchvision's `conv3x3`. */
function conv3x3(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return kaimingFanOut(new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false }));
}

/** `Conv2d(in, out, 1, stride, bias=False)`, torchvision's `conv1x1`. */
function conv1x1(inPlanes: number, outPlanes: number, stride = 1): Conv2d {
  return kaimingFanOut(new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false }));
}

/**
 * torchvision's `BasicBlock` (expansion 1) on NHWC tensors: `relu(bn2(conv2(relu(bn1(conv1(x))))) + identity)`,
 * where `identity = downsample(x)` (`Sequential(conv1x1(stride), BatchNorm2d)`, state-dict keys
 * `downsample.0.weight`, `downsample.1.*`) when the stride or the channel count changes, else `x`.
 * Parameter names as torchvision's: `conv1`, `bn1`, `conv2`, `bn2`, `downsample`.
 */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(inPlanes: number, planes: number, stride = 1) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inPlanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample =
      stride !== 1 || inPlanes !== planes
        ? this.registerModule(
            'downsample',
            new Sequential(conv1x1(inPlanes, planes, stride), new BatchNorm2d(planes)),
          )
        : null;
  }

  /** `x`: `[N, H, W, inPlanes]` → `[N, ⌈H/stride⌉, ⌈W/stride⌉, planes]`. */
  forward(x: tf.Tensor): tf.Tensor4D {
    const identity = this.downsample ? this.downsample.apply(x) : x;
    let out = this.relu.apply(this.bn1.apply(this.conv1.apply(x)));
    out = this.bn2.apply(this.conv2.apply(out));
    return tf.relu(tf.add(out, identity)) as tf.Tensor4D;
  }
}

export interface ResNetOptions {
  /** Blocks per stage. Default `[2, 2, 2, 2]` (ResNet-18). */
  layers?: readonly [number, number, number, number];
  /** Outputs of `fc`. Default 1000 (ImageNet). */
  numClasses?: number;
}

/**
 * torchvision's `ResNet` with `BasicBlock`s (`torchvision.models.resnet18` for the default `layers`), NHWC:
 *
 *     conv1 (7x7, stride 2, padding 3, 64, no bias) → bn1 → relu → maxpool (3x3, stride 2, padding 1)
 *     → layer1 (64) → layer2 (128, stride 2) → layer3 (256, stride 2) → layer4 (512, stride 2)
 *     → avgpool (global mean) → fc (512 → numClasses)
 *
 * - input `[N, H, W, 3]` (ImageNet-normalized RGB) → logits `[N, numClasses]`; `features(x)` gives the
 *   `layer4` map `[N, ⌈H/32⌉, ⌈W/32⌉, 512]` (for multiples of 32: exactly H/32, W/32);
 * - parameter and buffer names are torchvision's (`conv1.weight`, `bn1.running_mean`,
 *   `layer2.0.downsample.0.weight`, `fc.bias`), so torchvision's `resnet18` state dict (and timm's
 *   `resnet18.tv_in1k`, which uses the same names) loads by name with `loadStateDict` (OIHW → HWIO);
 * - initialisation as torchvision: convolutions Kaiming-normal (fan_out, relu), BatchNorm weight 1 and bias 0,
 *   `fc` PyTorch's Linear default;
 * - train/eval: BatchNorm uses batch statistics (and updates its running statistics) in training mode and
 *   the running statistics in eval mode, as PyTorch. Call `eval()` for inference.
 */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly maxpool: MaxPool2d;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly fc: Linear;
  readonly numClasses: number;
  readonly layers: readonly [number, number, number, number];

  constructor(options: ResNetOptions = {}) {
    super();
    const layers = options.layers ?? [2, 2, 2, 2];
    if (
      !Array.isArray(layers) ||
      layers.length !== 4 ||
      !layers.every((n) => Number.isInteger(n) && n >= 1)
    ) {
      throw new Error(`ResNet: options.layers must be 4 integers ≥ 1, got ${JSON.stringify(layers)}`);
    }
    const numClasses = options.numClasses ?? 1000;
    if (!Number.isInteger(numClasses) || numClasses < 1)
      throw new Error(`ResNet: options.numClasses must be an integer ≥ 1, got ${String(numClasses)}`);
    this.layers = layers;
    this.numClasses = numClasses;
    this.conv1 = this.registerModule(
      'conv1',
      kaimingFanOut(new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false })),
    );
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.relu = this.registerModule('relu', new ReLU());
    this.maxpool = this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    let inPlanes = 64;
    const stage = (planes: number, blocks: number, stride: number): Sequential => {
      const seq = new Sequential(new BasicBlock(inPlanes, planes, stride));
      inPlanes = planes;
      for (let i = 1; i < blocks; i++) seq.append(new BasicBlock(inPlanes, planes));
      return seq;
    };
    this.layer1 = this.registerModule('layer1', stage(64, layers[0], 1));
    this.layer2 = this.registerModule('layer2', stage(128, layers[1], 2));
    this.layer3 = this.registerModule('layer3', stage(256, layers[2], 2));
    this.layer4 = this.registerModule('layer4', stage(512, layers[3], 2));
    this.fc = this.registerModule('fc', new Linear(512, numClasses));
  }

  /** The `layer4` features: `[N, H, W, 3]` → `[N, H/32, W/32, 512]` (rounded up). */
  features(x: tf.Tensor): tf.Tensor4D {
    checkImageBatch('ResNet.features', x);
    return tf.tidy(() => {
      let y = this.maxpool.apply(this.relu.apply(this.bn1.apply(this.conv1.apply(x))));
      y = this.layer4.apply(this.layer3.apply(this.layer2.apply(this.layer1.apply(y))));
      return y as tf.Tensor4D;
    });
  }

  /** Logits: `[N, H, W, 3]` → `[N, numClasses]`. */
  forward(x: tf.Tensor): tf.Tensor2D {
    checkImageBatch('ResNet.forward', x);
    return this.fc.apply(tf.mean(this.features(x), [1, 2])) as tf.Tensor2D;
  }
}

/** torchvision's `resnet18()` with random weights (load pretrained ones with `loadResNetWeights`). */
export function resnet18(options: Omit<ResNetOptions, 'layers'> = {}): ResNet {
  return new ResNet({ ...options, layers: [2, 2, 2, 2] });
}

/** Throws unless `x` is an `[N, H, W, 3]` tensor with H, W ≥ 1. */
export function checkImageBatch(where: string, x: tf.Tensor): void {
  if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[3] !== 3) {
    throw new Error(
      `${where}: input must be an NHWC image batch [N, H, W, 3], got ${x instanceof tf.Tensor ? `shape [${x.shape}]` : typeof x}`,
    );
  }
}
