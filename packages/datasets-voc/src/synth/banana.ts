/**
 * A banana-like object for the synthetic banana detection set: a curved, tapering crescent (an arc of a
 * circle with a thickness that falls to zero at both ends), yellow with a lengthwise shading ridge, brown tips
 * and a few brown spots, of random length, curvature, thickness, rotation and position, anti-aliased by
 * 3 x 3 supersampling.
 */
import type { Rng } from '@cv/core';
import { blend, byte } from './raster.js';

export interface BananaShape {
  /** Centre of the arc's midpoint, pixels. */
  cx: number;
  cy: number;
  /** Arc radius and angular span (radians). */
  radius: number;
  span: number;
  /** Maximum thickness, pixels. */
  thickness: number;
  /** Rotation, radians. */
  angle: number;
}

/** Coverage-test a local point: returns [inside, s along the banana in [0, 1], w across in [-1, 1]]. */
function bananaAt(shape: BananaShape, x: number, y: number): [boolean, number, number] {
  const dx = x - shape.cx;
  const dy = y - shape.cy;
  const c = Math.cos(-shape.angle);
  const s = Math.sin(-shape.angle);
  const lx = dx * c - dy * s;
  const ly = dx * s + dy * c - shape.radius; // arc centre at (0, R) in local coordinates
  const d = Math.hypot(lx, ly);
  const phi = Math.atan2(ly, lx) + Math.PI / 2; // 0 at the midpoint
  const t = phi / shape.span + 0.5;
  if (t <= 0 || t >= 1) return [false, t, 0];
  const half = (shape.thickness / 2) * Math.sin(Math.PI * t) ** 0.6;
  const w = (d - shape.radius) / Math.max(half, 1e-6);
  return [Math.abs(w) < 1, t, w];
}

/** A random banana that fits inside `width x height` with a 2-pixel margin. */
export function randomBananaShape(rng: Rng, width: number, height: number): BananaShape {
  for (;;) {
    const length = 32 + rng.next() * 72;
    const span = 0.8 + rng.next() * 0.9;
    const shape: BananaShape = {
      cx: 0,
      cy: 0,
      radius: length / span,
      span,
      thickness: length * (0.2 + rng.next() * 0.12),
      angle: rng.next() * 2 * Math.PI,
    };
    const [x1, y1, x2, y2] = bananaExtent(shape);
    const lo = 2;
    if (x2 - x1 > width - 2 * lo || y2 - y1 > height - 2 * lo) continue;
    shape.cx = lo - x1 + rng.next() * (width - 2 * lo - (x2 - x1));
    shape.cy = lo - y1 + rng.next() * (height - 2 * lo - (y2 - y1));
    return shape;
  }
}

/** Conservative extent of the shape relative to (cx, cy): [x1, y1, x2, y2]. */
function bananaExtent(shape: BananaShape): [number, number, number, number] {
  const pts: [number, number][] = [];
  for (let k = 0; k <= 32; k++) {
    const phi = (k / 32 - 0.5) * shape.span - Math.PI / 2;
    for (const r of [shape.radius - shape.thickness / 2, shape.radius + shape.thickness / 2]) {
      const lx = r * Math.cos(phi);
      const ly = r * Math.sin(phi) + shape.radius;
      const c = Math.cos(shape.angle);
      const s = Math.sin(shape.angle);
      pts.push([lx * c - ly * s, lx * s + ly * c]);
    }
  }
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [Math.min(...xs) - 1, Math.min(...ys) - 1, Math.max(...xs) + 1, Math.max(...ys) + 1];
}

/**
 * Draws a banana into `data` (RGB bytes of a `width x height` image) and returns its tight box in pixel edge
 * coordinates `[xmin, ymin, xmax, ymax]` (xmax/ymax exclusive: the pixels with coverage ≥ 1/2).
 */
export function drawBanana(
  data: Uint8Array,
  width: number,
  height: number,
  shape: BananaShape,
  rng: Rng,
): [number, number, number, number] {
  const base: [number, number, number] = [215 + rng.next() * 40, 170 + rng.next() * 55, 20 + rng.next() * 60];
  const green = rng.next() < 0.3 ? rng.next() * 0.5 : 0;
  const spots = Array.from({ length: rng.int(0, 6) }, () => ({
    t: 0.15 + rng.next() * 0.7,
    w: rng.next() * 1.2 - 0.6,
    r: 0.02 + rng.next() * 0.04,
  }));
  const [ex1, ey1, ex2, ey2] = bananaExtent(shape);
  const x0 = Math.max(0, Math.floor(shape.cx + ex1));
  const y0 = Math.max(0, Math.floor(shape.cy + ey1));
  const x1 = Math.min(width - 1, Math.ceil(shape.cx + ex2));
  const y1 = Math.min(height - 1, Math.ceil(shape.cy + ey2));
  let bx1 = width;
  let by1 = height;
  let bx2 = -1;
  let by2 = -1;
  const sub = [1 / 6, 3 / 6, 5 / 6];
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let hits = 0;
      let st = 0;
      let sw = 0;
      for (const oy of sub)
        for (const ox of sub) {
          const [inside, t, w] = bananaAt(shape, x + ox, y + oy);
          if (inside) {
            hits++;
            st += t;
            sw += w;
          }
        }
      if (hits === 0) continue;
      const t = st / hits;
      const w = sw / hits;
      // Shading: a lit ridge off-centre, darker edges; green tint towards the stalk end.
      const shade = 1 - 0.4 * (w - 0.25) ** 2;
      let col: [number, number, number] = [
        byte(base[0] * shade * (1 - green * (1 - t) * 0.4)),
        byte(base[1] * shade),
        byte(base[2] * shade),
      ];
      const tip = t < 0.06 || t > 0.95;
      const spot = spots.some((p) => (p.t - t) ** 2 + ((p.w - w) * 0.12) ** 2 < p.r * p.r);
      if (tip) col = [byte(95 * shade), byte(70 * shade), byte(30 * shade)];
      else if (spot) col = [byte(120 * shade), byte(85 * shade), byte(30 * shade)];
      blend(data, y * width + x, col, hits / 9);
      if (hits >= 5) {
        bx1 = Math.min(bx1, x);
        by1 = Math.min(by1, y);
        bx2 = Math.max(bx2, x + 1);
        by2 = Math.max(by2, y + 1);
      }
    }
  }
  return [bx1, by1, bx2, by2];
}

/**
 * A distractor: a smooth blob (an ellipse) of a non-yellow colour, so that "a colourful thing" is not
 * enough to find the banana.
 */
export function drawDistractor(data: Uint8Array, width: number, height: number, rng: Rng): void {
  const rx = 8 + rng.next() * 25;
  const ry = 8 + rng.next() * 25;
  const cx = rx + rng.next() * (width - 2 * rx);
  const cy = ry + rng.next() * (height - 2 * ry);
  const palette: [number, number, number][] = [
    [200, 40, 40],
    [40, 90, 200],
    [60, 160, 60],
    [230, 230, 230],
    [150, 60, 160],
    [230, 120, 30],
  ];
  const col = palette[rng.int(0, palette.length - 1)]!;
  const a = rng.next() * Math.PI;
  const c = Math.cos(a);
  const s = Math.sin(a);
  for (let y = Math.max(0, Math.floor(cy - rx - ry)); y < Math.min(height, cy + rx + ry); y++)
    for (let x = Math.max(0, Math.floor(cx - rx - ry)); x < Math.min(width, cx + rx + ry); x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = (dx * c + dy * s) / rx;
      const v = (-dx * s + dy * c) / ry;
      const r = u * u + v * v;
      if (r < 1)
        blend(
          data,
          y * width + x,
          [byte(col[0] * (1 - 0.3 * r)), byte(col[1] * (1 - 0.3 * r)), byte(col[2] * (1 - 0.3 * r))],
          1,
        );
    }
}
