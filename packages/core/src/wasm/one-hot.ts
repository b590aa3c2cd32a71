import type * as tf from '@tensorflow/tfjs-core';
import { type KernelArgs, WasmOps } from './kernel-utils.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const isInt32 = (v: number) => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;

/**
 * `OneHot` for the 'wasm' backend that honours `dtype`, wrapping tfjs-backend-wasm's own kernel (`original`),
 * which writes int32 values whatever the dtype (4.22: `tf.oneHot(i, n, 1, 0, 'float32')` on 'wasm' holds the
 * bits of int 1, i.e. 1.4e-45) and truncates `onValue`/`offValue` to integers.
 *
 * - `'int32'`: the original kernel, unchanged.
 * - `'float32'`: the original kernel in int32, then the WASM `Cast`; when `onValue` or `offValue` is not an
 *   int32, a 0/1 one-hot selects between them (`Select`), so that e.g. `onValue = 0.9` stays 0.9. Values equal
 *   the CPU backend's (`Math.fround` of each).
 * - `'bool'`: true where the chosen value is non-zero.
 *
 * Inputs `{indices: int32 [...]}`; attrs `{depth, onValue, offValue, dtype}`; output `[...indices.shape, depth]`.
 * Indices outside `[0, depth)` give a row of `offValue`, as on the CPU backend.
 */
export function oneHotWasm(original: tf.KernelFunc, args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { dtype, depth, onValue, offValue } = attrs as unknown as tf.OneHotAttrs;
  const run = (a: tf.OneHotAttrs) => {
    const out = original({ inputs, backend, attrs: a as unknown as tf.NamedAttrMap });
    return Array.isArray(out) ? out[0]! : out;
  };
  if (dtype === 'int32') return run({ dtype, depth, onValue, offValue });
  const ops = new WasmOps(backend);
  if (dtype === 'bool') {
    const ints = run({
      dtype: 'int32',
      depth,
      onValue: onValue !== 0 ? 1 : 0,
      offValue: offValue !== 0 ? 1 : 0,
    });
    const out = ops.run('Cast', { x: ints }, { dtype: 'bool' });
    ops.dispose(ints);
    return out;
  }
  if (dtype !== 'float32') {
    throw new Error(
      `OneHot (wasm, @cv/core): dtype must be 'int32', 'float32' or 'bool', got '${String(dtype)}'`,
    );
  }
  if (isInt32(onValue) && isInt32(offValue)) {
    const ints = run({ dtype: 'int32', depth, onValue, offValue });
    const out = ops.run('Cast', { x: ints }, { dtype: 'float32' });
    ops.dispose(ints);
    return out;
  }
  const ints = run({ dtype: 'int32', depth, onValue: 1, offValue: 0 });
  const condition = ops.run('Cast', { x: ints }, { dtype: 'bool' });
  const on = ops.run('Fill', {}, { shape: ints.shape, value: onValue, dtype: 'float32' });
  const off = ops.run('Fill', {}, { shape: ints.shape, value: offValue, dtype: 'float32' });
  const out = ops.run('Select', { condition, t: on, e: off });
  ops.dispose(ints, condition, on, off);
  return out;
}
