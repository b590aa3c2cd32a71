/**
 * Input checks shared by the exported ops (internal). Every message names the function, the argument and
 * the bad shape or value, e.g. `boxIou: boxes1 must have shape [N, 4], got [3, 5]`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** `[3, 5]` */
export function shapeOf(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function row(data: ArrayLike<number>, at: number, width: number): string {
  const parts: string[] = [];
  for (let k = 0; k < width; k++) parts.push(String(data[at + k]!));
  return `[${parts.join(', ')}]`;
}

/** A numeric tensor (float32 or int32; not bool, string or complex). */
export function checkTensor(fn: string, arg: string, x: unknown): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new TypeError(
      `${fn}: ${arg} must be a tf.Tensor, got ${x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x}`,
    );
  }
  if (x.isDisposed) throw new Error(`${fn}: ${arg} has been disposed`);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new TypeError(`${fn}: ${arg} must be float32 or int32, got dtype ${x.dtype}`);
  }
}

/** Checks the rank and the dimensions that are not `-1` (`-1` = any size). */
export function checkShape(fn: string, arg: string, x: unknown, expected: readonly number[], names: string) {
  checkTensor(fn, arg, x);
  const s = x.shape;
  if (s.length !== expected.length || expected.some((d, i) => d >= 0 && s[i] !== d)) {
    throw new Error(`${fn}: ${arg} must have shape ${names}, got ${shapeOf(s)}`);
  }
  return x;
}

/** `[N, 4]` boxes. */
export function checkBoxShape(fn: string, arg: string, x: unknown, n = 'N'): tf.Tensor2D {
  return checkShape(fn, arg, x, [-1, 4], `[${n}, 4]`) as tf.Tensor2D;
}

/** `[1, N, 4]` (d2l's anchors) or `[N, 4]`. Returns N. */
export function checkAnchorShape(fn: string, arg: string, x: unknown): number {
  checkTensor(fn, arg, x);
  const s = x.shape;
  const ok = (s.length === 3 && s[0] === 1 && s[2] === 4) || (s.length === 2 && s[1] === 4);
  if (!ok) throw new Error(`${fn}: ${arg} must have shape [1, N, 4] (or [N, 4]), got ${shapeOf(s)}`);
  return s.length === 3 ? s[1]! : s[0]!;
}

/**
 * The tensor's values as float32 (int32 tensors are converted). One synchronous read: where the backend has
 * none (tfjs-webgpu in Node), a clear error says to `await tensor.data()` first (the values then stay on the
 * host and this read succeeds).
 */
export function readFloat32(x: tf.Tensor): Float32Array {
  let d: ReturnType<tf.Tensor['dataSync']>;
  try {
    d = x.dataSync();
  } catch (err) {
    throw new Error(
      `@cv/anchors reads tensor values on the host, synchronously, and the '${tf.getBackend()}' backend could ` +
        `not read this [${x.shape}] ${x.dtype} tensor so (${(err as Error).message}). Await its values first ` +
        '(await tensor.data()), which leaves them on the host for this read.',
    );
  }
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
}

/**
 * Corner boxes `[x1, y1, x2, y2]` (4 numbers per row, `rows` rows from `start`): finite, `x2 ≥ x1` and
 * `y2 ≥ y1`. Zero width or height is allowed (degenerate boxes).
 */
export function checkCornerValues(
  fn: string,
  arg: string,
  data: ArrayLike<number>,
  rows: number,
  label: (i: number) => string = (i) => `${arg}[${i}]`,
  stride = 4,
  offset = 0,
): void {
  for (let i = 0; i < rows; i++) {
    const at = offset + i * stride;
    const x1 = data[at]!;
    const y1 = data[at + 1]!;
    const x2 = data[at + 2]!;
    const y2 = data[at + 3]!;
    if (!(Number.isFinite(x1) && Number.isFinite(y1) && Number.isFinite(x2) && Number.isFinite(y2))) {
      throw new Error(`${fn}: ${label(i)} is not finite: ${row(data, at, 4)}`);
    }
    if (x2 < x1 || y2 < y1) {
      throw new Error(
        `${fn}: ${label(i)} has ${x2 < x1 ? 'x2 < x1' : 'y2 < y1'} (boxes are corners [x1, y1, x2, y2]): ${row(data, at, 4)}`,
      );
    }
  }
}

/** Center boxes `[cx, cy, w, h]`: finite, `w ≥ 0`, `h ≥ 0`. */
export function checkCenterValues(fn: string, arg: string, data: ArrayLike<number>, rows: number): void {
  for (let i = 0; i < rows; i++) {
    const at = i * 4;
    const w = data[at + 2]!;
    const h = data[at + 3]!;
    if (
      !(
        Number.isFinite(data[at]!) &&
        Number.isFinite(data[at + 1]!) &&
        Number.isFinite(w) &&
        Number.isFinite(h)
      )
    )
      throw new Error(`${fn}: ${arg}[${i}] is not finite: ${row(data, at, 4)}`);
    if (w < 0 || h < 0)
      throw new Error(
        `${fn}: ${arg}[${i}] has a negative ${w < 0 ? 'width' : 'height'} (boxes are centers [cx, cy, w, h]): ${row(data, at, 4)}`,
      );
  }
}

/** Every value finite. `describe(i)` names element i. */
export function checkFinite(
  fn: string,
  arg: string,
  data: ArrayLike<number>,
  describe: (i: number) => string = (i) => `${arg} at flat index ${i}`,
): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) throw new Error(`${fn}: ${describe(i)} is not finite: ${v}`);
  }
}

/** A finite number (thresholds, eps). */
export function checkNumber(fn: string, arg: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${fn}: ${arg} must be a finite number, got ${String(v)}`);
  }
  return v;
}

/** Four positive finite weights (wx, wy, ww, wh). */
export function checkWeights(fn: string, w: unknown): [number, number, number, number] {
  if (
    !Array.isArray(w) ||
    w.length !== 4 ||
    w.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
  ) {
    throw new Error(
      `${fn}: weights must be 4 positive finite numbers [wx, wy, ww, wh], got ${Array.isArray(w) ? `[${w.join(', ')}]` : String(w)}`,
    );
  }
  return [w[0], w[1], w[2], w[3]];
}
