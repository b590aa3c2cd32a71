import { describe, expect, it } from 'vitest';
import { History } from './history.js';

describe('History', () => {
  it('keeps one record per epoch, merging metrics recorded separately for the same epoch', () => {
    const h = new History();
    h.record(1, { 'train loss': 0.9, 'train acc': 0.6 });
    h.record(1, { 'test acc': 0.55 });
    h.record(2, { 'train loss': 0.5, 'train acc': 0.8 });
    expect(h.length).toBe(2);
    expect(h.records).toEqual([
      { epoch: 1, 'train loss': 0.9, 'train acc': 0.6, 'test acc': 0.55 },
      { epoch: 2, 'train loss': 0.5, 'train acc': 0.8 },
    ]);
    expect(h.metricNames()).toEqual(['train loss', 'train acc', 'test acc']);
    expect(h.series('test acc')).toEqual([{ epoch: 1, value: 0.55 }]);
    expect(h.last()).toEqual({ epoch: 2, 'train loss': 0.5, 'train acc': 0.8 });
  });

  it('round-trips through JSON and accepts a bare record array', () => {
    const h = new History();
    h.record(1, { loss: 1 / 3 });
    h.record(2, { loss: 0.1, acc: 0.99 });
    const text = JSON.stringify(h);
    expect(JSON.parse(text)).toEqual({
      records: [
        { epoch: 1, loss: 1 / 3 },
        { epoch: 2, loss: 0.1, acc: 0.99 },
      ],
    });
    expect(History.fromJSON(text).records).toEqual(h.records);
    expect(History.fromJSON(JSON.parse(text).records).records).toEqual(h.records);
    const copy = h.clone();
    copy.record(3, { loss: 0.05 });
    expect(h.length).toBe(2);
  });

  it('truncates to a checkpoint epoch before a resume', () => {
    const h = History.fromJSON([
      { epoch: 1, loss: 3 },
      { epoch: 2, loss: 2 },
      { epoch: 3, loss: 1 },
    ]);
    h.truncate(2);
    expect(h.records.map((r) => r.epoch)).toEqual([1, 2]);
    h.record(3, { loss: 1.5 });
    expect(h.last()).toEqual({ epoch: 3, loss: 1.5 });
  });

  it('rejects bad records with messages naming the problem', () => {
    const h = new History();
    h.record(2, { loss: 1 });
    expect(() => h.record(1, { loss: 1 })).toThrow(
      'History.record: epoch 1 is before the last recorded epoch 2',
    );
    expect(() => h.record(3, { loss: Number.NaN })).toThrow(
      "History.record: metric 'loss' at epoch 3 must be a finite number, got NaN",
    );
    expect(() => h.record(-1, {})).toThrow('History.record: epoch must be a finite number ≥ 0, got -1');
    expect(() => h.record(3, { epoch: 3 })).toThrow("'epoch' is not a metric name");
    expect(() => History.fromJSON({} as never)).toThrow('History.fromJSON: expected { records: [...] }');
    expect(() => History.fromJSON([{ loss: 1 }] as never)).toThrow(
      "History.fromJSON: record 0 must be an object with a numeric 'epoch'",
    );
  });
});
