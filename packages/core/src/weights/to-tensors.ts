import * as tf from '@tensorflow/tfjs-core';
import { tfDtypeOf } from './dtypes.js';
import type { ParsedSafetensors, SafetensorsTensor } from './parse-safetensors.js';

/**
 * Makes a tf.Tensor of every tensor of a parsed safetensors file, keeping PyTorch's names, shapes and layout
 * (a conv weight stays `[out, in, kh, kw]`: a module's `loadStateDict` converts layouts). Float dtypes become
 * float32, integer dtypes int32, BOOL bool. The caller owns the tensors (`tf.dispose(Object.values(result))`).
 *
 * @param parsed what `parseSafetensors`/`loadSafetensors` return, or its `tensors` Map.
 * @returns name → tensor, in the file's data order.
 */
export function toTensors(
  parsed: ParsedSafetensors | Map<string, SafetensorsTensor>,
): Record<string, tf.Tensor> {
  const map = parsed instanceof Map ? parsed : parsed?.tensors;
  if (!(map instanceof Map)) {
    throw new TypeError(
      `toTensors: expected parseSafetensors' result or its tensors Map, got ${parsed === null ? 'null' : typeof parsed}`,
    );
  }
  const made: [string, tf.Tensor][] = [];
  try {
    for (const [name, t] of map) {
      const count = t.shape.reduce((a, b) => a * b, 1);
      if (t.data.length !== count) {
        throw new Error(
          `toTensors: tensor '${name}' has ${t.data.length} values but shape [${t.shape}] needs ${count}`,
        );
      }
      made.push([name, tf.tensor(t.data, t.shape, tfDtypeOf(t.dtype))]);
    }
  } catch (err) {
    tf.dispose(made.map(([, t]) => t));
    throw err;
  }
  return Object.fromEntries(made);
}
