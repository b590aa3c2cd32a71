import * as tf from '@tensorflow/tfjs-core';

/**
 * Flips the images of a detection batch left-right where `flip[b]` is true, with their boxes:
 * `x1' = 1 − x2`, `x2' = 1 − x1` (normalized corners; padding rows with class −1 are left alone).
 *
 * @param images `[B, H, W, C]`. @param labels `[B, M, 5]` rows `(class, x1, y1, x2, y2)`.
 * @param flip one boolean per image (e.g. `Array.from({ length: B }, () => rng.next() < 0.5)`).
 * @returns new `[images, labels]` (the inputs are not disposed).
 */
export function flipDetectionBatch(
  images: tf.Tensor4D,
  labels: tf.Tensor3D,
  flip: readonly boolean[],
): [tf.Tensor4D, tf.Tensor3D] {
  const fn = 'flipDetectionBatch';
  if (!(images instanceof tf.Tensor) || images.rank !== 4)
    throw new Error(`${fn}: images must be [B, H, W, C], got [${images?.shape}]`);
  const b = images.shape[0];
  if (!(labels instanceof tf.Tensor) || labels.rank !== 3 || labels.shape[0] !== b || labels.shape[2] !== 5) {
    throw new Error(`${fn}: labels must be [${b}, M, 5], got [${labels?.shape}]`);
  }
  if (!Array.isArray(flip) || flip.length !== b)
    throw new Error(`${fn}: flip must have ${b} booleans, got ${flip?.length}`);
  const lab = labels.dataSync().slice() as Float32Array;
  const m = labels.shape[1];
  for (let i = 0; i < b; i++) {
    if (!flip[i]) continue;
    for (let r = 0; r < m; r++) {
      const o = (i * m + r) * 5;
      if (lab[o] === -1) continue;
      const x1 = lab[o + 1]!;
      lab[o + 1] = 1 - lab[o + 3]!;
      lab[o + 3] = 1 - x1;
    }
  }
  return tf.tidy(() => {
    const mask = tf.tensor4d(
      flip.map((f) => (f ? 1 : 0)),
      [b, 1, 1, 1],
      'float32',
    );
    const flipped = tf.reverse(images, 2);
    const out = tf.add(tf.mul(flipped, mask), tf.mul(images, tf.sub(1, mask))) as tf.Tensor4D;
    return [out, tf.tensor3d(lab, labels.shape, 'float32')];
  });
}
