import * as tf from '@tensorflow/tfjs-core';

/**
 * Puts `t` `[N, oh, ow, C]` at rows `top + i·sh` and columns `left + j·sw` of a zero `[N, H, W, C]` tensor
 * (reshape/pad/slice only).
 */
function place(
  t: tf.Tensor4D,
  sh: number,
  sw: number,
  top: number,
  left: number,
  H: number,
  W: number,
): tf.Tensor4D {
  const [n, oh, ow, c] = t.shape;
  let s: tf.Tensor = t;
  const rows = (oh - 1) * sh + 1;
  const cols = (ow - 1) * sw + 1;
  if (sh > 1) {
    s = tf.pad(tf.reshape(s, [n * oh, 1, ow * c]), [
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]);
    s = tf.slice(tf.reshape(s, [n, oh * sh, ow, c]), [0, 0, 0, 0], [n, rows, ow, c]);
  }
  if (sw > 1) {
    s = tf.pad(tf.reshape(s, [n * rows, ow, 1, c]), [
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    s = tf.slice(tf.reshape(s, [n, rows, ow * sw, c]), [0, 0, 0, 0], [n, rows, cols, c]);
  }
  return tf.pad(s as tf.Tensor4D, [
    [0, 0],
    [top, H - top - rows],
    [left, W - left - cols],
    [0, 0],
  ]);
}

/**
 * `tf.maxPool(x, kernel, strides, 'valid')` whose gradient goes to the first maximum (row-major) of each
 * window, as PyTorch's `max_pool2d`, computed with plain ops (strided slices, equal, pad) so that it is
 * the same on every backend. tfjs-backend-wasm 4.22's `MaxPoolGrad` kernel starts each window's search at
 * `FLT_MIN` (a positive number) and keeps the last of tied maxima: windows whose maximum is ≤ 0 lose
 * their gradient there.
 *
 * `x` `[N, H, W, C]` → `[N, floor((H − kh)/sh) + 1, floor((W − kw)/sw) + 1, C]`.
 */
export function maxPoolFirstMax(
  x: tf.Tensor4D,
  kernel: readonly [number, number],
  strides: readonly [number, number],
): tf.Tensor4D {
  const [kh, kw] = kernel;
  const [sh, sw] = strides;
  const pool = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xi = args[0] as tf.Tensor4D;
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.maxPool(xi, [kh, kw], [sh, sw], 'valid');
    save([xi, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ys] = saved as [tf.Tensor4D, tf.Tensor4D];
        const [n, H, W, c] = xs.shape;
        const [, oh, ow] = ys.shape;
        let dx: tf.Tensor = tf.zeros(xs.shape);
        let taken: tf.Tensor = tf.zeros(ys.shape);
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const [nextDx, nextTaken] = tf.tidy(() => {
              const tap = tf.stridedSlice(
                xs,
                [0, a, b, 0],
                [n, a + (oh - 1) * sh + 1, b + (ow - 1) * sw + 1, c],
                [1, sh, sw, 1],
              );
              // 1 where this tap is the window's maximum and no earlier tap was.
              const hit = tf.mul(tf.cast(tf.equal(tap, ys), 'float32'), tf.sub(1, taken));
              const placed = place(tf.mul(dy, hit) as tf.Tensor4D, sh, sw, a, b, H, W);
              return [tf.add(dx, placed), tf.add(taken, hit)];
            });
            dx.dispose();
            taken.dispose();
            dx = nextDx!;
            taken = nextTaken!;
          }
        }
        taken.dispose();
        return dx;
      },
    };
  });
  return pool(x) as tf.Tensor4D;
}
