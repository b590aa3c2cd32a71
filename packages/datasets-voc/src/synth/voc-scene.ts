/**
 * Learnable synthetic VOC scenes: 1–4 objects of the 20 VOC classes on a photo or a procedural background.
 * Class `c` (1..20) has its own shape (10 shapes) × texture (solid or striped) and its own hue, so a model can
 * learn it from the pixels; objects are rotated, scaled, may overlap (later ones occlude) and may be cut by
 * the image edge. The label map gets VOC's 255 border band around every object.
 */
import type { Rng } from '@cv/core';
import type { RgbPixels } from '../platform.js';
import { byte, randomBackground } from './raster.js';

export const SHAPES = [
  'circle',
  'square',
  'triangle',
  'diamond',
  'star',
  'hexagon',
  'cross',
  'ring',
  'ellipse',
  'crescent',
] as const;
export type ShapeKind = (typeof SHAPES)[number];

/** Shape, texture and colour of segmentation class `c` (1..20). */
export function classStyle(c: number): {
  shape: ShapeKind;
  striped: boolean;
  color: [number, number, number];
} {
  const k = c - 1;
  const hue = (k * 137.508) % 360; // golden-angle spread: 20 distinct hues
  const [r, g, b] = hsv(hue, 0.75, 0.9);
  return { shape: SHAPES[Math.floor(k / 2)]!, striped: k % 2 === 1, color: [r, g, b] };
}

function hsv(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return byte(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/** Inside test of a unit-size shape at local coordinates (u, v). */
export function insideShape(shape: ShapeKind, u: number, v: number): boolean {
  const r = Math.hypot(u, v);
  const th = Math.atan2(v, u);
  const poly = (n: number) => {
    const a = Math.PI / n;
    const t = (((th % (2 * a)) + 2 * a) % (2 * a)) - a;
    return r < Math.cos(a) / Math.cos(t);
  };
  switch (shape) {
    case 'circle':
      return r < 1;
    case 'square':
      return Math.max(Math.abs(u), Math.abs(v)) < 0.8;
    case 'triangle':
      return poly(3);
    case 'diamond':
      return Math.abs(u) + Math.abs(v) < 1;
    case 'star': {
      const a = Math.PI / 5;
      const t = Math.abs((((th % (2 * a)) + 2 * a) % (2 * a)) - a) / a; // 0 at a spike, 1 between
      return r < 1 - 0.55 * t;
    }
    case 'hexagon':
      return poly(6);
    case 'cross':
      return (Math.abs(u) < 0.3 && Math.abs(v) < 0.95) || (Math.abs(v) < 0.3 && Math.abs(u) < 0.95);
    case 'ring':
      return r < 1 && r > 0.55;
    case 'ellipse':
      return u * u + (v / 0.55) ** 2 < 1;
    case 'crescent':
      return r < 1 && (u - 0.45) ** 2 + v * v > 0.75 ** 2;
  }
}

export interface SceneObject {
  /** Segmentation class 1..20. */
  cls: number;
  /** Visible box, 1-based inclusive pixels as VOC's XML: [xmin, ymin, xmax, ymax]. */
  box: [number, number, number, number];
  truncated: boolean;
  difficult: boolean;
}

export interface Scene {
  width: number;
  height: number;
  image: Uint8Array;
  /** Labels 0..20 with 255 borders. */
  label: Uint8Array;
  objects: SceneObject[];
}

function proceduralBackground(h: number, w: number, rng: Rng): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  const c1 = [rng.int(40, 200), rng.int(40, 200), rng.int(40, 200)];
  const c2 = [rng.int(40, 200), rng.int(40, 200), rng.int(40, 200)];
  const angle = rng.next() * Math.PI;
  const freq = rng.next() < 0.5 ? 0 : 0.02 + rng.next() * 0.08;
  const ca = Math.cos(angle);
  const sa = Math.sin(angle);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const t = (x * ca + y * sa) / (w + h);
      const wave = freq ? 0.15 * Math.sin((x * sa - y * ca) * freq) : 0;
      const noise = (rng.next() - 0.5) * 16;
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = byte(c1[c]! * (1 - t) + c2[c]! * t + noise + wave * 60);
    }
  return out;
}

/** Generates one scene of `height x width`. `photos` are background photos (may be empty). */
export function randomScene(
  height: number,
  width: number,
  photos: readonly RgbPixels[],
  rng: Rng,
  border = 2,
): Scene {
  const image =
    photos.length > 0 && rng.next() < 0.5
      ? randomBackground(photos, height, width, rng)
      : proceduralBackground(height, width, rng);
  const owner = new Int16Array(height * width).fill(-1); // which object painted each pixel
  const n = rng.int(1, 4);
  const drawn: { cls: number; truncated: boolean; area: number }[] = [];
  const minSide = Math.min(height, width);
  for (let k = 0; k < n; k++) {
    const cls = rng.int(1, 20);
    const style = classStyle(cls);
    const radius = minSide * (0.12 + rng.next() * 0.22);
    const cx = rng.next() * width;
    const cy = rng.next() * height;
    const angle = rng.next() * 2 * Math.PI;
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    const stripeF = 0.9 + rng.next() * 0.6;
    const shade = 0.85 + rng.next() * 0.3;
    let area = 0;
    let truncated = false;
    const x0 = Math.floor(cx - radius);
    const x1 = Math.ceil(cx + radius);
    const y0 = Math.floor(cy - radius);
    const y1 = Math.ceil(cy + radius);
    for (let y = Math.max(0, y0); y <= Math.min(height - 1, y1); y++)
      for (let x = Math.max(0, x0); x <= Math.min(width - 1, x1); x++) {
        const dx = (x + 0.5 - cx) / radius;
        const dy = (y + 0.5 - cy) / radius;
        const u = dx * ca + dy * sa;
        const v = -dx * sa + dy * ca;
        if (!insideShape(style.shape, u, v)) continue;
        area++;
        const i = y * width + x;
        owner[i] = k;
        const light = shade * (1 - 0.25 * (u * 0.6 + v * 0.8));
        const dark = style.striped && Math.sin(u * Math.PI * 4 * stripeF) > 0 ? 0.45 : 1;
        const tex = 1 + (rng.next() - 0.5) * 0.1;
        image[i * 3] = byte(style.color[0] * light * dark * tex);
        image[i * 3 + 1] = byte(style.color[1] * light * dark * tex);
        image[i * 3 + 2] = byte(style.color[2] * light * dark * tex);
      }
    // Truncated: part of the shape falls outside the image.
    if (x0 < 0 || y0 < 0 || x1 >= width || y1 >= height) {
      const probe = 24;
      for (let a = 0; a < probe * probe && !truncated; a++) {
        const u = ((a % probe) + 0.5) / probe;
        const v = (Math.floor(a / probe) + 0.5) / probe;
        const px = x0 + u * (x1 - x0);
        const py = y0 + v * (y1 - y0);
        if (px >= 0 && py >= 0 && px < width && py < height) continue;
        const dx = (px - cx) / radius;
        const dy = (py - cy) / radius;
        truncated = insideShape(style.shape, dx * ca + dy * sa, -dx * sa + dy * ca);
      }
    }
    drawn.push({ cls, truncated, area });
  }
  const label = new Uint8Array(height * width);
  const boxes = drawn.map(() => [width, height, -1, -1]);
  const visible = new Int32Array(n);
  for (let i = 0; i < owner.length; i++) {
    const k = owner[i]!;
    if (k < 0) continue;
    label[i] = drawn[k]!.cls;
    visible[k]!++;
    const x = i % width;
    const y = Math.floor(i / width);
    const b = boxes[k]!;
    b[0] = Math.min(b[0]!, x);
    b[1] = Math.min(b[1]!, y);
    b[2] = Math.max(b[2]!, x);
    b[3] = Math.max(b[3]!, y);
  }
  // Slivers of objects hidden behind later ones get no box: mark them "don't care" rather than a class.
  for (let i = 0; i < owner.length; i++) {
    const k = owner[i]!;
    if (k >= 0 && visible[k]! < 16) label[i] = 255;
  }
  // VOC's border: pixels within `border` of a change of label become 255.
  const out = label.slice();
  if (border > 0)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const v = label[y * width + x]!;
        let edge = false;
        for (let yy = Math.max(0, y - border); yy <= Math.min(height - 1, y + border) && !edge; yy++)
          for (let xx = Math.max(0, x - border); xx <= Math.min(width - 1, x + border); xx++)
            if (label[yy * width + xx] !== v) {
              edge = true;
              break;
            }
        if (edge) out[y * width + x] = 255;
      }
  const objects: SceneObject[] = [];
  drawn.forEach((d, k) => {
    if (visible[k]! < 16) return; // hidden behind later objects
    const b = boxes[k]!;
    objects.push({
      cls: d.cls,
      box: [b[0]! + 1, b[1]! + 1, b[2]! + 1, b[3]! + 1],
      truncated: d.truncated,
      difficult: visible[k]! < 0.4 * d.area || visible[k]! < 0.004 * width * height,
    });
  });
  return { width, height, image, label: out, objects };
}
