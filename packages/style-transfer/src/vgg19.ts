import { Conv2d, MaxPool2d, Module, ReLU, Sequential, type TensorModule } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * torchvision's VGG-19 configuration 'E' (`torchvision/models/vgg.py`, `cfgs['E']`): output channels of each
 * 3x3 convolution, `'M'` for a 2x2 max pool.
 */
export const VGG19_CONFIG: readonly (number | 'M')[] = [
  64,
  64,
  'M',
  128,
  128,
  'M',
  256,
  256,
  256,
  256,
  'M',
  512,
  512,
  512,
  512,
  'M',
  512,
  512,
  512,
  512,
  'M',
];

/** The kind of each of the 37 layers of torchvision's `vgg19().features`, by index. */
export type Vgg19LayerKind = 'conv' | 'relu' | 'pool';

/** `features` layer kinds by index: `conv, relu, conv, relu, pool, conv, …` (37 layers, indices 0–36). */
export const VGG19_LAYER_KINDS: readonly Vgg19LayerKind[] = VGG19_CONFIG.flatMap((v) =>
  v === 'M' ? (['pool'] as const) : (['conv', 'relu'] as const),
);

/** The number of layers of torchvision's `vgg19().features` (37). */
export const VGG19_NUM_LAYERS = VGG19_LAYER_KINDS.length;

/**
 * Readable names of the layers (`conv1_1`, `relu1_1`, `pool1`, … `pool5`), the usual names of the style
 * transfer literature, by torchvision index: `VGG19_LAYER_NAMES[25] === 'conv4_4'`.
 */
export const VGG19_LAYER_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  let block = 1;
  let conv = 0;
  for (const kind of VGG19_LAYER_KINDS) {
    if (kind === 'pool') {
      names.push(`pool${block}`);
      block++;
      conv = 0;
    } else if (kind === 'conv') {
      conv++;
      names.push(`conv${block}_${conv}`);
    } else {
      names.push(`relu${block}_${conv}`);
    }
  }
  return names;
})();

/** Weights uniform with torchvision's VGG variance 2 / (9·out) (kaiming fan_out), biases 0. */
function initLikeTorchvision(conv: Conv2d, seed: number | undefined): void {
  const [kh, kw, cin, cout] = conv.weight.shape as [number, number, number, number];
  const bound = Math.sqrt(6 / (kh * kw * cout));
  tf.tidy(() => {
    // Conv2d drew uniform(±1/√(9·in)): rescale it, or redraw it seeded.
    const w =
      seed === undefined
        ? tf.mul(conv.weight, bound * Math.sqrt(kh * kw * cin))
        : tf.randomUniform(conv.weight.shape, -bound, bound, 'float32', seed);
    conv.weight.assign(w);
    conv.bias?.assign(tf.zerosLike(conv.bias));
  });
}

export interface Vgg19Options {
  /**
   * Index of the last `features` layer to build (0–36; default 36, all of them). Style transfer builds only
   * up to the deepest layer it uses (d2l: `max(content_layers + style_layers)` = 28), which saves the
   * memory and the time of the layers after it.
   */
  lastLayer?: number;
  /** Seed of the random initialisation (see `Vgg19`). Default: unseeded. Only matters without pretrained weights. */
  seed?: number;
}

/**
 * The convolutional part of torchvision's VGG-19 (`torchvision.models.vgg19().features`, no batch norm) on
 * NHWC tensors, with torchvision's parameter names: `features.N.weight` (state dict OIHW
 * `[out, in, 3, 3]`, stored HWIO) and `features.N.bias` for the 16 convolutions (3x3, padding 1), ReLUs and
 * 2x2 max pools at the same indices as torchvision's, so a converted torchvision checkpoint loads by name
 * (see `loadVgg19Weights`). Only layers `0..lastLayer` are built; the classifier is never built.
 *
 * Input `[N, H, W, 3]` (ImageNet-normalised RGB, see `preprocess`) → output of layer `lastLayer`.
 * Initialisation has the scale of torchvision's (`VGG._initialize_weights`: kaiming, fan_out, ReLU gain, so
 * variance 2 / (9·out); biases 0), drawn uniform rather than normal (much faster in JavaScript), so a network
 * without pretrained weights behaves like `torchvision.models.vgg19()`.
 */
export class Vgg19 extends Module {
  /** torchvision's `features`: layers `0..lastLayer`, named by index. */
  readonly features: Sequential;
  readonly lastLayer: number;

  constructor(options: Vgg19Options = {}) {
    super();
    const lastLayer = options.lastLayer ?? VGG19_NUM_LAYERS - 1;
    if (!Number.isInteger(lastLayer) || lastLayer < 0 || lastLayer >= VGG19_NUM_LAYERS) {
      throw new Error(
        `Vgg19: options.lastLayer must be an integer in [0, ${VGG19_NUM_LAYERS - 1}], got ${String(lastLayer)}`,
      );
    }
    this.lastLayer = lastLayer;
    const layers: TensorModule[] = [];
    let inChannels = 3;
    let i = 0;
    for (const v of VGG19_CONFIG) {
      if (i > lastLayer) break;
      if (v === 'M') {
        layers.push(new MaxPool2d(2, { stride: 2 }));
        i++;
        continue;
      }
      const conv = new Conv2d(inChannels, v, 3, { padding: 1 });
      initLikeTorchvision(conv, options.seed === undefined ? undefined : options.seed + i);
      layers.push(conv);
      i++;
      inChannels = v;
      if (i > lastLayer) break;
      layers.push(new ReLU());
      i++;
    }
    this.features = this.registerModule('features', new Sequential(...layers));
  }

  /** The number of layers built (`lastLayer + 1`). */
  get numLayers(): number {
    return this.features.length;
  }

  /** The layer at torchvision index `i` (`features[i]`). */
  layer(i: number): TensorModule {
    const m = this.features.at(i);
    if (!Number.isInteger(i) || i < 0 || !m) {
      throw new Error(`Vgg19.layer: index ${String(i)} is not a built layer (0–${this.lastLayer})`);
    }
    return m;
  }

  /** `x` `[N, H, W, 3]` → the output of layer `lastLayer`. */
  forward(x: tf.Tensor): tf.Tensor {
    return this.features.forward(x);
  }
}
