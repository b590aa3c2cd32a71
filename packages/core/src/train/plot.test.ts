import { describe, expect, it } from 'vitest';
import { History } from './history.js';
import { historyPlotSpec, renderHistorySvg } from './plot.js';

function history(): History {
  const h = new History();
  for (let e = 1; e <= 5; e++) {
    h.record(e, { 'train loss': 1 / e, 'train acc': 1 - 1 / (e + 1) });
    if (e % 2 === 1) h.record(e, { 'test acc': 0.5 + e / 20 }); // recorded every other epoch
  }
  return h;
}

/** The line marks of a Vega SVG: one <path> per series. */
const lineMarks = (svg: string) => svg.match(/<path[^>]*aria-roledescription="line mark"[^>]*>/g) ?? [];

describe('history plot (Vega-Lite, headless SVG)', () => {
  it('draws one line per metric with a legend and axis labels, like d2l Animator', async () => {
    const svg = await renderHistorySvg(history(), {
      yLabel: 'value',
      labels: { 'train loss': 'train loss (CE)' },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    const lines = lineMarks(svg);
    expect(lines.length).toBe(3);
    // Each line has as many vertices as the metric has points (the test acc skips epochs 2 and 4).
    const vertices = lines.map((p) => (/ d="([^"]*)"/.exec(p)![1]!.match(/[ML]/g) ?? []).length).sort();
    expect(vertices).toEqual([3, 5, 5]);
    expect(svg).toMatch(
      /aria-roledescription="legend" aria-label="[^"]*3 values: train loss \(CE\), train acc, test acc"/,
    );
    for (const label of ['train loss (CE)', 'train acc', 'test acc', '>epoch<', '>value<'])
      expect(svg).toContain(label);
  });

  it('plots only the chosen metrics, on a log scale and fixed limits when asked', async () => {
    const spec = historyPlotSpec(history(), {
      metrics: ['train loss'],
      yScale: 'log',
      xLimits: [1, 10],
      title: 'loss',
    });
    expect(spec).toMatchObject({
      title: 'loss',
      encoding: { x: { scale: { domain: [1, 10] } }, y: { scale: { type: 'log' } } },
    });
    const svg = await renderHistorySvg(history(), { metrics: ['train loss'], width: 200, height: 100 });
    expect(lineMarks(svg).length).toBe(1);
    expect(svg).not.toContain('test acc');
  });

  it('accepts a record array and a single epoch', async () => {
    const svg = await renderHistorySvg([{ epoch: 1, loss: 0.5 }]);
    expect(lineMarks(svg).length).toBe(1);
  });

  it('says what is wrong', () => {
    expect(() => historyPlotSpec(new History())).toThrow(
      'historyPlotSpec: nothing to plot: the history is empty',
    );
    expect(() => historyPlotSpec(history(), { metrics: ['loss'] })).toThrow(
      "historyPlotSpec: metric 'loss' is not in the history; it has: 'train loss', 'train acc', 'test acc'",
    );
    expect(() => historyPlotSpec(history(), { yLimits: [1, 0] })).toThrow(
      'historyPlotSpec: options.yLimits must be [min, max] with finite min < max',
    );
    const h = History.fromJSON([{ epoch: 1, loss: 0 }]);
    expect(() => historyPlotSpec(h, { yScale: 'log' })).toThrow(
      "yScale 'log' needs positive values; 'loss' is 0 at epoch 1",
    );
  });
});
