import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { exportOptimizerState, importOptimizerState } from './optimizer-state.js';

function step(opt: tf.Optimizer, w: tf.Variable): void {
  opt.minimize(() => tf.sum(tf.square(tf.sub(w, tf.tensor1d([1, -2])))), false, [w])?.dispose();
}

describe('optimizer state', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it('exports the step count and slot copies, and a restored Adam continues exactly', async () => {
    const w = tf.variable(tf.tensor1d([0.5, 0.5]));
    const opt = tf.train.adam(0.1);
    step(opt, w);
    step(opt, w);
    const state = await expectNoLeaks(() => exportOptimizerState(opt));
    expect(Object.keys(state)).toEqual(['iter', `${w.name}/m`, `${w.name}/v`, '__accBeta1', '__accBeta2']);
    expect(state.__accBeta1).toBeCloseTo(0.9 ** 3, 6);
    expect(state.iter).toBe(2);
    const saved = Array.from(w.dataSync());

    // A fresh variable and optimizer, restored from the copies, take the same next step as the original.
    const w2 = tf.variable(tf.tensor1d(saved));
    const opt2 = tf.train.adam(0.1);
    await expectNoLeaks(() => importOptimizerState(opt2, state), { keep: 2 });
    step(opt, w);
    step(opt2, w2);
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w.dataSync()));

    // Importing again replaces (and disposes) the previous slots.
    await expectNoLeaks(() => importOptimizerState(opt2, state));
    tf.dispose(Object.values(state).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
    opt.dispose();
    opt2.dispose();
    tf.dispose([w, w2]);
  });

  it('validates the state', async () => {
    const opt = tf.train.momentum(0.1, 0.9);
    await expect(importOptimizerState(opt, { iter: -1 })).rejects.toThrow(
      'importOptimizerState: state.iter must be an integer ≥ 0',
    );
    await expect(importOptimizerState(opt, { iter: 1, 'w/momentum': 3 })).rejects.toThrow(
      "importOptimizerState: state['w/momentum'] must be a live tensor, got number",
    );
    await expect(exportOptimizerState({} as never)).rejects.toThrow(
      'exportOptimizerState: expected a tfjs Optimizer',
    );
  });
});
