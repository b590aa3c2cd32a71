import { Conv2d, ReLU } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkVggLayer, FrozenVgg19, vggConv } from './frozen-vgg.js';
import type { Vgg19 } from './vgg19.js';

/** d2l's layer choice: `content_layers = [25]` (conv4_4). */
export const DEFAULT_CONTENT_LAYERS: readonly number[] = [25];
/** d2l's layer choice: `style_layers = [0, 5, 10, 19, 28]` (the first convolution of each block). */
export const DEFAULT_STYLE_LAYERS: readonly number[] = [0, 5, 10, 19, 28];

export interface ExtractFeaturesOptions {
  /**
   * Reproduce the in-place ReLUs of torchvision's VGG (default true). torchvision builds `vgg19().features`
   * with `ReLU(inplace=True)`, so in d2l's `extract_features` the tensor recorded for a convolution layer is
   * overwritten by the next layer's ReLU: a recorded conv output is in fact post-ReLU whenever its ReLU is
   * among the layers run (d2l's layers 0, 5, 10, 19 and 25 are relu1_1, relu2_1, relu3_1, relu4_1, relu4_4;
   * layer 28, the deepest layer requested and so the last one run, stays conv5_1 before its ReLU). With true this function returns what
   * PyTorch's code computes; false records every layer's own output.
   */
  inplaceRelu?: boolean;
}

export interface Features {
  /** Features of the content layers, in the order of `contentLayers`; each `[N, h, w, c]`. */
  contents: tf.Tensor4D[];
  /** Features of the style layers, in the order of `styleLayers`; each `[N, h, w, c]`. */
  styles: tf.Tensor4D[];
}

/** The deepest layer index among `contentLayers` and `styleLayers` (what `Vgg19`'s `lastLayer` needs to be). */
export function deepestLayer(contentLayers: readonly number[], styleLayers: readonly number[]): number {
  return Math.max(...contentLayers, ...styleLayers);
}

function checkLayers(fn: string, name: string, layers: unknown, net: Vgg19): readonly number[] {
  if (!Array.isArray(layers)) throw new Error(`${fn}: ${name} must be an array of layer indices`);
  for (const i of layers) {
    if (!Number.isInteger(i) || i < 0 || i > net.lastLayer) {
      throw new Error(
        `${fn}: ${name} contains ${String(i)}, not a built layer of the network (0–${net.lastLayer}); build Vgg19 with lastLayer ≥ the deepest layer used`,
      );
    }
  }
  return layers as readonly number[];
}

/**
 * d2l's `extract_features`: runs `net`'s layers one by one on `x` and keeps the outputs of the content and
 * style layers (torchvision `features` indices). Runs only up to the deepest requested layer.
 *
 * Computed with the network's weights as constants: differentiable with respect to `x` only (no filter
 * gradients), each convolution fused with its ReLU where the ReLU's input is not itself requested, and the
 * input gradient of a convolution computed as one forward convolution with the flipped filter (precomputed
 * once when `network` is a {@link FrozenVgg19}, as `Synthesizer` does). Max pools are `tf.maxPool`, whose
 * gradient goes to the first maximum of each window as PyTorch's (the CPU backend's rule; @cv/core gives the
 * WASM backend the same).
 *
 * @param network a `Vgg19` built with `lastLayer` ≥ the deepest layer requested, or a `FrozenVgg19` of one.
 * @param x `[N, H, W, 3]` preprocessed image (see `preprocess`), float32.
 * @param contentLayers default `[25]` (d2l).
 * @param styleLayers default `[0, 5, 10, 19, 28]` (d2l).
 * @returns new tensors the caller owns (see {@link ExtractFeaturesOptions.inplaceRelu} for which values).
 */
export function extractFeatures(
  network: Vgg19 | FrozenVgg19,
  x: tf.Tensor,
  contentLayers: readonly number[] = DEFAULT_CONTENT_LAYERS,
  styleLayers: readonly number[] = DEFAULT_STYLE_LAYERS,
  options: ExtractFeaturesOptions = {},
): Features {
  const fn = 'extractFeatures';
  const frozen = network instanceof FrozenVgg19 ? network : undefined;
  const net = frozen ? frozen.net : (network as Vgg19);
  if (!(x instanceof tf.Tensor) || x.rank !== 4 || x.shape[3] !== 3) {
    throw new Error(
      `${fn}: x must be an image batch [N, H, W, 3], got ${x instanceof tf.Tensor ? `shape [${x.shape}]` : typeof x}`,
    );
  }
  checkLayers(fn, 'contentLayers', contentLayers, net);
  checkLayers(fn, 'styleLayers', styleLayers, net);
  const inplace = options.inplaceRelu ?? true;
  const wanted = new Set([...contentLayers, ...styleLayers]);
  if (wanted.size === 0) return { contents: [], styles: [] };
  const last = Math.max(...wanted);
  return tf.tidy(() => {
    // d2l's net is features[0..last]; a ReLU after layer i runs (in place) only when i + 1 ≤ last.
    const recorded = new Map<number, tf.Tensor4D>();
    const reluRuns = (i: number) => i + 1 <= last && net.layer(i + 1) instanceof ReLU;
    let y = tf.cast(x, 'float32') as tf.Tensor4D;
    for (let j = 0; j <= last; j++) {
      checkVggLayer(net, j);
      const m = net.layer(j);
      if (m instanceof Conv2d) {
        // Fuse the ReLU unless this conv's own (pre-ReLU) output is wanted.
        const fuse = reluRuns(j) && (inplace || !wanted.has(j));
        y = vggConv(y, m, fuse, frozen?.flipped(j));
        if (fuse) {
          if (wanted.has(j)) recorded.set(j, y);
          j++; // the ReLU is done
        }
      } else if (m instanceof ReLU) {
        y = tf.relu(y);
        // In place: the conv output recorded just before is this tensor now (d2l's in-place ReLU).
        if (inplace && wanted.has(j - 1)) recorded.set(j - 1, y);
      } else {
        y = tf.maxPool(y, 2, 2, 'valid');
      }
      if (wanted.has(j)) recorded.set(j, y);
    }
    return {
      contents: contentLayers.map((i) => recorded.get(i)!),
      styles: styleLayers.map((i) => recorded.get(i)!),
    };
  });
}
