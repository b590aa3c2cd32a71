import * as tf from '@tensorflow/tfjs-core';
import { assertFloat, assertReduction, assertTensor, type Reduction } from './validate.js';

export interface NllLossOptions {
  /** Target value whose elements contribute neither loss nor gradient. Default -100 (PyTorch's default). */
  ignoreIndex?: number;
  /** 'mean' (default), 'sum' or 'none'. See {@link nllLoss}. */
  reduction?: Reduction;
  /** A rescaling weight per class, shape [C] (float32 tensor or numbers). Default: all ones. */
  weight?: tf.Tensor | number[];
  /**
   * Check that every non-ignored target lies in [0, C), as PyTorch does, and throw otherwise. It reads one
   * boolean back from the backend (a sync); pass false in a hot loop on a GPU backend once data are trusted.
   * Default true. Without the check an out-of-range class silently contributes zero loss.
   */
  validateTargets?: boolean;
}

interface Prepared {
  /** log-probabilities or logits flattened to [N, C]. */
  flat: tf.Tensor2D;
  /** Targets flattened to [N] with ignored entries replaced by class 0. */
  safe: tf.Tensor1D;
  /** 1 where the target is not ignored, 0 where it is, [N] float32. */
  valid: tf.Tensor1D;
  /** The class weight of each element's target, 0 where ignored, [N] (the `valid` mask without weights). */
  targetWeight: tf.Tensor1D;
  /** Class weights [C] (undefined without weights). */
  weight: tf.Tensor1D | undefined;
  numClasses: number;
}

/**
 * Validates (input [..., C], target [...]) for nllLoss/crossEntropy and prepares the flattened views.
 * Must be called inside a tidy scope.
 * @internal
 */
export function prepareClassTargets(
  fn: string,
  input: tf.Tensor,
  target: tf.Tensor,
  options: NllLossOptions,
): Prepared {
  const { ignoreIndex = -100, validateTargets = true } = options;
  assertFloat(fn, 'input', input);
  assertTensor(fn, 'target', target);
  if (input.rank < 1) throw new Error(`${fn}: input must have a class axis (last), got a scalar`);
  if (target.dtype !== 'int32') {
    throw new TypeError(
      `${fn}: target must hold int32 class indices, got ${target.dtype} (shape [${target.shape}])`,
    );
  }
  const numClasses = input.shape[input.rank - 1]!;
  const lead = input.shape.slice(0, -1);
  if (target.rank !== lead.length || target.shape.some((d, i) => d !== lead[i])) {
    throw new Error(
      `${fn}: target shape [${target.shape}] must equal input shape [${input.shape}] without its last (class) axis, [${lead}]`,
    );
  }
  if (!Number.isInteger(ignoreIndex))
    throw new Error(`${fn}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  let weight: tf.Tensor1D | undefined;
  if (options.weight !== undefined) {
    if (Array.isArray(options.weight)) weight = tf.tensor1d(options.weight, 'float32');
    else {
      assertFloat(fn, 'weight', options.weight);
      weight = options.weight as tf.Tensor1D;
    }
    if (weight.rank !== 1 || weight.shape[0] !== numClasses) {
      throw new Error(`${fn}: weight must have shape [${numClasses}] (one per class), got [${weight.shape}]`);
    }
  }
  const n = target.size;
  const flat = tf.reshape(input, [n, numClasses]) as tf.Tensor2D;
  const t = tf.reshape(target, [n]) as tf.Tensor1D;
  const validBool = tf.notEqual(t, ignoreIndex);
  if (validateTargets) checkTargets(fn, target, numClasses, ignoreIndex);
  const safe = tf.where(validBool, t, tf.zerosLike(t)) as tf.Tensor1D;
  const valid = tf.cast(validBool, 'float32') as tf.Tensor1D;
  const targetWeight = weight ? (tf.mul(tf.gather(weight, safe), valid) as tf.Tensor1D) : valid;
  return { flat, safe, valid, targetWeight, weight, numClasses };
}

let warnedUnread = false;

/**
 * Class indices in range (or `ignoreIndex`), checked on the host: one synchronous read of `target` (labels are
 * usually made on the host, so it costs nothing on a GPU). Where the backend cannot read synchronously
 * (tfjs-webgpu in Node, for a target that lives on the GPU) the check is skipped with a one-time warning.
 */
function checkTargets(fn: string, target: tf.Tensor, numClasses: number, ignoreIndex: number): void {
  let values: ArrayLike<number>;
  try {
    values = target.dataSync() as Int32Array;
  } catch (err) {
    if (!warnedUnread) {
      warnedUnread = true;
      console.warn(
        `${fn}: class indices not validated: the '${tf.getBackend()}' backend cannot read the target synchronously ` +
          `(${(err as Error).message}). Await target.data() first to have them checked, or pass validateTargets: false.`,
      );
    }
    return;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== ignoreIndex && (v < 0 || v >= numClasses)) {
      throw new Error(
        `${fn}: target holds class index ${v} (flat position ${i}); expected 0 <= target < ${numClasses} ` +
          `or target == ignoreIndex (${ignoreIndex})`,
      );
    }
  }
}

/**
 * Negative log-likelihood loss, PyTorch's `F.nll_loss` with the class axis LAST (NHWC): `input` holds
 * log-probabilities [..., C] (e.g. a segmentation map [B, H, W, C]), `target` int32 class indices [...].
 *
 * Per element n with class y = target[n]: loss[n] = −weight[y]·input[n, y], and 0 where y == ignoreIndex.
 * - 'none': loss of shape `target.shape`.
 * - 'sum': Σ loss[n].
 * - 'mean': Σ loss[n] / Σ weight[y_n] over non-ignored n (a weighted mean; the plain mean over non-ignored
 *   elements without `weight`). All elements ignored gives NaN (0/0), as PyTorch does.
 */
export function nllLoss(input: tf.Tensor, target: tf.Tensor, options: NllLossOptions = {}): tf.Tensor {
  const { reduction = 'mean' } = options;
  assertReduction('nllLoss', reduction);
  return tf.tidy(() => {
    const p = prepareClassTargets('nllLoss', input, target, options);
    return reduceNll(p, nllPerElement(p), reduction, target.shape);
  });
}

/** −weight[y]·input[n, y] (0 where ignored), [N]. @internal */
export function nllPerElement(p: Prepared): tf.Tensor1D {
  // int32 one-hot, then cast: tfjs-backend-wasm 4.22's OneHot ignores dtype 'float32' and writes int32 bits.
  const oneHot = tf.cast(tf.oneHot(p.safe, p.numClasses), 'float32');
  const picked = tf.sum(tf.mul(p.flat, oneHot), -1);
  return tf.neg(tf.mul(picked, p.targetWeight)) as tf.Tensor1D;
}

/** PyTorch's reduction for class losses: 'mean' divides by the total target weight. @internal */
export function reduceNll(
  p: Prepared,
  perElement: tf.Tensor1D,
  reduction: Reduction,
  shape: number[],
): tf.Tensor {
  if (reduction === 'none') return tf.reshape(perElement, shape);
  const total = tf.sum(perElement);
  return reduction === 'sum' ? total : tf.div(total, tf.sum(p.targetWeight));
}
