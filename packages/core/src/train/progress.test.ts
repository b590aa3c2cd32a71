import { describe, expect, it } from 'vitest';
import {
  combineProgress,
  formatMetrics,
  formatProgressLine,
  logProgress,
  type ProgressEvent,
  ProgressReporter,
} from './progress.js';

describe('progress interface', () => {
  it('ProgressReporter reports epoch start, steps with running counts, and the epoch end', () => {
    const events: ProgressEvent[] = [];
    const p = new ProgressReporter((e) => events.push(e), { epochs: 3 });
    p.startEpoch(2, 2);
    p.step(8, { loss: 0.5 });
    p.step(4, { loss: 0.25 });
    const end = p.endEpoch({ 'train loss': 0.4 });
    expect(events.map((e) => e.type)).toEqual(['epochStart', 'step', 'step', 'epochEnd']);
    expect(events[0]).toEqual({ type: 'epochStart', epoch: 2, epochs: 3, steps: 2 });
    const step = events[2]!;
    expect(step).toMatchObject({
      type: 'step',
      epoch: 2,
      epochs: 3,
      step: 2,
      steps: 2,
      examples: 12,
      metrics: { loss: 0.25 },
    });
    expect(end).toMatchObject({
      type: 'epochEnd',
      epoch: 2,
      steps: 2,
      examples: 12,
      metrics: { 'train loss': 0.4 },
    });
    expect(end.seconds).toBeGreaterThanOrEqual(0);
    expect(end.examplesPerSecond).toBeCloseTo(end.seconds > 0 ? 12 / end.seconds : 0, 6);
    expect(events[3]).toBe(end);
  });

  it('works without a callback and checks the call order', () => {
    const p = new ProgressReporter(undefined, { epochs: 1 });
    expect(() => p.step(1)).toThrow('ProgressReporter.step: call startEpoch() first');
    p.startEpoch(1);
    p.step(3);
    expect(p.endEpoch().examples).toBe(3);
    expect(() => new ProgressReporter(undefined, { epochs: 0 })).toThrow(
      'ProgressReporter: epochs must be an integer ≥ 1, got 0',
    );
  });

  it('formats metrics and lines for logs', () => {
    expect(formatMetrics({ loss: 0.41321, acc: 0.875, n: 12, tiny: 0.00001234, nan: Number.NaN })).toBe(
      'loss 0.4132  acc 0.875  n 12  tiny 1.234e-5  nan NaN',
    );
    const line = formatProgressLine({
      type: 'epochEnd',
      epoch: 3,
      epochs: 10,
      steps: 5,
      examples: 40,
      seconds: 2,
      examplesPerSecond: 20,
      metrics: { loss: 0.5 },
    });
    expect(line).toBe('epoch 3/10  loss 0.5  20.0 examples/s  2.0 s');
  });

  it('logProgress logs epoch ends (and every k steps); combineProgress fans out', () => {
    const lines: string[] = [];
    const seen: string[] = [];
    const cb = combineProgress(logProgress({ log: (l) => lines.push(l), everySteps: 2 }), undefined, (e) =>
      seen.push(e.type),
    );
    const p = new ProgressReporter(cb, { epochs: 1 });
    p.startEpoch(1, 3);
    p.step(1, { loss: 1 });
    p.step(1, { loss: 1 });
    p.step(1, { loss: 1 });
    p.endEpoch({ loss: 1 });
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/^epoch 1\/1 step 2\/3 {2}loss 1 {2}[\d.]+ examples\/s/);
    expect(lines[1]).toMatch(/^epoch 1\/1 {2}loss 1 {2}/);
    expect(seen).toEqual(['epochStart', 'step', 'step', 'step', 'epochEnd']);
  });
});
