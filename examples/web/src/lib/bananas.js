// Banana-style detection scenes made from a seed, in plain JavaScript (no DOM, no tensors), so the page
// and Node (e2e/ssd-parity.mjs) make the same pixels: a smooth two-colour background with noise and one
// yellow crescent ("banana"), its tight box as normalized corners. Like d2l's banana set (one object of
// one class per image), generated rather than downloaded.
import { Rng } from '@cv/core';

/** Seeds of the held-out test scenes (training uses small seeds: 1, 2, …). */
export const TEST_SEED = 1000;

/**
 * @returns `{ pixels: Uint8Array (size·size·3 RGB), box: [x1, y1, x2, y2] normalized }`
 */
export function bananaScene(seed, size) {
  const rng = new Rng(seed);
  const c1 = [rng.int(30, 200), rng.int(30, 200), rng.int(60, 220)];
  const c2 = [rng.int(30, 200), rng.int(60, 200), rng.int(30, 160)];
  const angle = rng.next() * Math.PI;
  const pixels = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const t = 0.5 + 0.5 * Math.sin(((x * Math.cos(angle) + y * Math.sin(angle)) / size) * 3);
      const n = (rng.next() - 0.5) * 24;
      for (let c = 0; c < 3; c++) pixels[(y * size + x) * 3 + c] = clamp(c1[c] * t + c2[c] * (1 - t) + n);
    }
  // The crescent: a disc minus a shifted disc, rotated at random.
  const r = size * (0.14 + rng.next() * 0.16);
  const cx = r + rng.next() * (size - 2 * r);
  const cy = r + rng.next() * (size - 2 * r);
  const rot = rng.next() * 2 * Math.PI;
  const shift = [Math.cos(rot) * r * 0.55, Math.sin(rot) * r * 0.55];
  let x1 = size;
  let y1 = size;
  let x2 = -1;
  let y2 = -1;
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(size - 1, Math.ceil(cy + r)); y++)
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(size - 1, Math.ceil(cx + r)); x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const inOuter = dx * dx + dy * dy < r * r;
      const ex = dx - shift[0];
      const ey = dy - shift[1];
      const inInner = ex * ex + ey * ey < r * r * 0.75;
      if (!inOuter || inInner) continue;
      const shade = 0.8 + 0.2 * ((dx * 0.6 - dy * 0.8) / r);
      const o = (y * size + x) * 3;
      pixels[o] = clamp(250 * shade);
      pixels[o + 1] = clamp(215 * shade);
      pixels[o + 2] = clamp(40 * shade);
      x1 = Math.min(x1, x);
      y1 = Math.min(y1, y);
      x2 = Math.max(x2, x + 1);
      y2 = Math.max(y2, y + 1);
    }
  return { pixels, box: [x1 / size, y1 / size, x2 / size, y2 / size] };
}

function clamp(v) {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** A batch of scenes: images float32 `[B, size, size, 3]` in [0, 1] data, labels `[B, 1, 5]` rows (0, box). */
export function bananaBatch(seeds, size) {
  const images = new Float32Array(seeds.length * size * size * 3);
  const labels = [];
  seeds.forEach((seed, b) => {
    const s = bananaScene(seed, size);
    for (let i = 0; i < s.pixels.length; i++) images[b * s.pixels.length + i] = s.pixels[i] / 255;
    labels.push([[0, ...s.box]]);
  });
  return { images, labels, shape: [seeds.length, size, size, 3] };
}
