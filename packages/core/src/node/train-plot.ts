import path from 'node:path';
import type { History, HistoryRecord } from '../train/history.js';
import { type HistoryPlotOptions, renderHistorySvg } from '../train/plot.js';
import { writeFileAtomic } from './atomic-write.js';

export interface HistoryPngOptions extends HistoryPlotOptions {
  /** Pixels per SVG pixel in the PNG. Default 2 (sharp for high-DPI screens and papers). */
  scale?: number;
}

/**
 * Renders the history plot to PNG: the SVG of `renderHistorySvg`, rasterised by sharp (libvips/librsvg)
 * at `scale` (default 2), so the PNG is `scale ×` the SVG's width and height.
 */
export async function renderHistoryPng(
  history: History | HistoryRecord[],
  options: HistoryPngOptions = {},
): Promise<Buffer> {
  const { scale = 2, ...plot } = options;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0 || scale > 16) {
    throw new Error(`renderHistoryPng: options.scale must be a number in (0, 16], got ${String(scale)}`);
  }
  const svg = await renderHistorySvg(history, plot);
  // Loaded on first use: importing the Node entry does not load libvips.
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg), { density: 72 * scale })
    .png()
    .toBuffer();
}

/**
 * Writes the history plot (d2l's `Animator` figure) to `file`: SVG or PNG by the extension (`.svg`, `.png`),
 * atomically, so a viewer watching the file during training never reads half a plot.
 */
export async function saveHistoryPlot(
  file: string,
  history: History | HistoryRecord[],
  options: HistoryPngOptions = {},
): Promise<void> {
  const ext = path.extname(String(file)).toLowerCase();
  if (ext === '.svg') {
    const { scale: _scale, ...plot } = options;
    await writeFileAtomic(file, await renderHistorySvg(history, plot));
  } else if (ext === '.png') {
    await writeFileAtomic(file, await renderHistoryPng(history, options));
  } else {
    throw new Error(`saveHistoryPlot: file must end in .svg or .png, got '${String(file)}'`);
  }
}
