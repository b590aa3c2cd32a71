import type { TopLevelSpec } from 'vega-lite';
import { History, type HistoryRecord } from './history.js';

/** Options of {@link historyPlotSpec} and {@link renderHistorySvg}: what d2l's `Animator` takes. */
export interface HistoryPlotOptions {
  /** Metrics to draw, in legend order. Default: all, in the order they first appear. */
  metrics?: string[];
  /** Legend labels by metric name (d2l's `legend`). Default: the metric names. */
  labels?: Record<string, string>;
  /** Title above the plot. Default: none. */
  title?: string;
  /** x-axis label. Default 'epoch'. */
  xLabel?: string;
  /** y-axis label. Default: none. */
  yLabel?: string;
  /** x-axis range (d2l's `xlim`, e.g. `[1, numEpochs]` to show the whole run while it trains). Default: the data's. */
  xLimits?: [number, number];
  /** y-axis range (d2l's `ylim`). Default: the data's (not forced to include 0). */
  yLimits?: [number, number];
  /** y-axis scale (d2l's `yscale`). Default 'linear'. */
  yScale?: 'linear' | 'log';
  /** Plot-area size in pixels (axes, title and legend add to it). Defaults 360 × 240. */
  width?: number;
  height?: number;
}

function checkLimits(name: string, v: unknown): void {
  if (
    v !== undefined &&
    (!Array.isArray(v) ||
      v.length !== 2 ||
      !v.every((x) => typeof x === 'number' && Number.isFinite(x)) ||
      !(v[0] < v[1]))
  ) {
    throw new Error(
      `historyPlotSpec: options.${name} must be [min, max] with finite min < max, got ${JSON.stringify(v)}`,
    );
  }
}

function toHistory(history: History | HistoryRecord[]): History {
  if (history instanceof History) return history;
  if (Array.isArray(history)) return History.fromJSON(history);
  throw new Error(
    `historyPlotSpec: history must be a History or an array of { epoch, ...metrics } records, got ${typeof history}`,
  );
}

/**
 * A Vega-Lite spec of the history: one line (with point marks) per metric against the epoch, a legend, axis
 * labels; what d2l's `Animator` draws with matplotlib. Epochs a metric was not recorded in are skipped (its
 * line joins the recorded points). Render it in a browser with `vega-embed`, or to SVG with
 * {@link renderHistorySvg}.
 */
export function historyPlotSpec(
  history: History | HistoryRecord[],
  options: HistoryPlotOptions = {},
): TopLevelSpec {
  const h = toHistory(history);
  const available = h.metricNames();
  const metrics = options.metrics ?? available;
  if (!Array.isArray(metrics) || metrics.length === 0) {
    throw new Error(
      `historyPlotSpec: nothing to plot: ${h.length === 0 ? 'the history is empty' : 'options.metrics is empty'}`,
    );
  }
  for (const m of metrics) {
    if (!available.includes(m)) {
      throw new Error(
        `historyPlotSpec: metric '${m}' is not in the history; it has: ${available.map((a) => `'${a}'`).join(', ') || 'no metrics'}`,
      );
    }
  }
  const {
    width = 360,
    height = 240,
    yScale = 'linear',
    xLabel = 'epoch',
    yLabel,
    title,
    xLimits,
    yLimits,
  } = options;
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 16)
      throw new Error(`historyPlotSpec: options.${name} must be an integer ≥ 16 pixels, got ${String(v)}`);
  }
  if (yScale !== 'linear' && yScale !== 'log')
    throw new Error(`historyPlotSpec: options.yScale must be 'linear' or 'log', got ${String(yScale)}`);
  checkLimits('xLimits', xLimits);
  checkLimits('yLimits', yLimits);

  const label = (m: string) => options.labels?.[m] ?? m;
  const labels = metrics.map(label);
  if (new Set(labels).size !== labels.length)
    throw new Error(`historyPlotSpec: legend labels must be distinct, got ${labels.join(', ')}`);
  const values = metrics.flatMap((m) =>
    h.series(m).map(({ epoch, value }) => ({ epoch, series: label(m), value })),
  );
  if (yScale === 'log') {
    const bad = values.find((v) => v.value <= 0);
    if (bad)
      throw new Error(
        `historyPlotSpec: yScale 'log' needs positive values; '${bad.series}' is ${bad.value} at epoch ${bad.epoch}`,
      );
  }
  const epochs = values.map((v) => v.epoch);
  const [lo, hi] = [Math.min(...epochs), Math.max(...epochs)];
  const xDomain = xLimits ?? (hi > lo ? [lo, hi] : undefined);
  const integerEpochs = epochs.every(Number.isInteger);

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(title ? { title } : {}),
    width,
    height,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true, strokeWidth: 2, clip: true },
    encoding: {
      x: {
        field: 'epoch',
        type: 'quantitative',
        title: xLabel,
        scale: { zero: false, nice: false, ...(xDomain ? { domain: xDomain } : {}) },
        axis: integerEpochs ? { tickMinStep: 1, format: 'd' } : {},
      },
      y: {
        field: 'value',
        type: 'quantitative',
        title: yLabel ?? null,
        scale: { type: yScale, zero: false, ...(yLimits ? { domain: yLimits } : {}) },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: labels },
        sort: labels,
        legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300 },
      },
      strokeDash: { field: 'series', type: 'nominal', title: null, scale: { domain: labels }, sort: labels },
    },
  } as TopLevelSpec;
}

/**
 * Renders the history plot ({@link historyPlotSpec}) to an SVG string with Vega, headless (no canvas, no
 * DOM): works in Node and browsers. Vega and Vega-Lite are loaded on first use, so importing @cv/core does
 * not load them.
 */
export async function renderHistorySvg(
  history: History | HistoryRecord[],
  options: HistoryPlotOptions = {},
): Promise<string> {
  const spec = historyPlotSpec(history, options);
  let vega: typeof import('vega');
  let vegaLite: typeof import('vega-lite');
  try {
    [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  } catch (err) {
    throw new Error(
      `renderHistorySvg: could not load 'vega' and 'vega-lite' (npm install vega vega-lite): ${(err as Error).message}`,
    );
  }
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
