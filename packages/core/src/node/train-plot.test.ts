import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { History } from '../train/history.js';
import { renderHistorySvg } from '../train/plot.js';
import { renderHistoryPng, saveHistoryPlot } from './train-plot.js';

const svgSize = (svg: string) => {
  const m = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!;
  return { width: Number(m[1]), height: Number(m[2]) };
};

describe('history plot files', () => {
  let dir = '';
  const h = new History();
  for (let e = 1; e <= 4; e++) h.record(e, { 'train loss': 2 / e, 'train acc': e / 5, 'test acc': e / 6 });
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cv-plot-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes an SVG with one path per series and the legend labels', async () => {
    const file = path.join(dir, 'history.svg');
    await saveHistoryPlot(file, h, { yLabel: 'metric' });
    const svg = await readFile(file, 'utf8');
    expect((svg.match(/aria-roledescription="line mark"/g) ?? []).length).toBe(3);
    for (const label of ['train loss', 'train acc', 'test acc', '>epoch<', '>metric<'])
      expect(svg).toContain(label);
    expect(await readdir(dir)).toEqual(['history.svg']);
  });

  it('writes a PNG of the SVG size times the scale (sharp rasterises the SVG)', async () => {
    const { width, height } = svgSize(await renderHistorySvg(h, { width: 300, height: 200 }));
    const file = path.join(dir, 'history.png');
    await saveHistoryPlot(file, h, { width: 300, height: 200 });
    const meta = await sharp(file).metadata();
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([2 * width, 2 * height]);
    const one = await sharp(await renderHistoryPng(h, { width: 300, height: 200, scale: 1 })).metadata();
    expect([one.width, one.height]).toEqual([width, height]);
    // Not blank: the lines and text put dark pixels on the white background.
    const stats = await sharp(file).stats();
    expect(stats.channels[0]!.min).toBeLessThan(100);
    expect(stats.channels[0]!.max).toBe(255);
  });

  it('refuses other extensions and bad scales', async () => {
    await expect(saveHistoryPlot(path.join(dir, 'h.jpg'), h)).rejects.toThrow(
      "saveHistoryPlot: file must end in .svg or .png, got '",
    );
    await expect(renderHistoryPng(h, { scale: 0 })).rejects.toThrow(
      'renderHistoryPng: options.scale must be a number in (0, 16], got 0',
    );
  });
});
