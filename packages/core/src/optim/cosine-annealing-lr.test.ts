// Golden values: fixtures/optim/optim.json ("schedules"), made by fixtures/optim/make_optim.py: torch 1.13
// CosineAnnealingLR's get_last_lr() after construction and after each of 12 epochs (tMax 5 goes past
// tMax, where torch's recursive form rises again; tMax 12 ends at etaMin).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose } from '../testing/index.js';
import { Adam } from './adam.js';
import { CosineAnnealingLR } from './cosine-annealing-lr.js';
import { optimFixture } from './golden-fixture.js';

const cases = optimFixture.schedules.filter((c) => c.scheduler === 'CosineAnnealingLR');

describe('CosineAnnealingLR', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it.each(cases.map((c) => [JSON.stringify(c.options), c] as const))(
    "matches torch's lr sequence over 12 epochs: %s",
    (_n, c) => {
      const v = tf.variable(tf.zeros([1]));
      const opt = new Adam([v], { lr: c.lr });
      const sched = new CosineAnnealingLR(opt, c.options as never);
      const lrs = [sched.getLastLr()];
      for (let e = 0; e < 12; e++) {
        opt.step({ [v.name]: tf.ones([1]) });
        sched.step();
        lrs.push(opt.lr);
      }
      expectClose(lrs, c.lrs, { rtol: 1e-12, atol: 1e-15 });
      opt.dispose();
      v.dispose();
    },
  );

  it('closed form (step(epoch)) follows the same cosine', () => {
    const c = cases[0]!;
    const sched = new CosineAnnealingLR({ lr: c.lr }, c.options as never);
    const closed = c.lrs.map((_, e) => {
      sched.step(e);
      return sched.getLastLr();
    });
    expectClose(closed, c.lrs, { rtol: 1e-12, atol: 1e-15 });
  });

  it('resumes from its state dict', () => {
    const c = cases[0]!;
    const opt = { lr: c.lr };
    const sched = new CosineAnnealingLR(opt, c.options as never);
    for (let e = 0; e < 7; e++) sched.step();
    const saved = JSON.parse(JSON.stringify(sched.stateDict()));
    expect(saved).toMatchObject({
      type: 'CosineAnnealingLR',
      options: c.options,
      baseLr: c.lr,
      lastEpoch: 7,
    });
    const opt2 = { lr: opt.lr };
    const resumed = new CosineAnnealingLR(opt2, { tMax: 1 });
    resumed.loadStateDict(saved);
    const lrs = [];
    for (let e = 7; e < 12; e++) {
      resumed.step();
      lrs.push(opt2.lr);
    }
    expectClose(lrs, c.lrs.slice(8), { rtol: 1e-12, atol: 1e-15 });
  });

  it('validates its options', () => {
    expect(() => new CosineAnnealingLR({ lr: 1 }, { tMax: 0 })).toThrow(
      'CosineAnnealingLR: tMax must be a finite number > 0, got 0',
    );
    expect(() => new CosineAnnealingLR({ lr: 1 }, { tMax: 3, etaMin: -1 })).toThrow(
      'CosineAnnealingLR: etaMin must be a finite number >= 0, got -1',
    );
    expect(() => new CosineAnnealingLR({ lr: 1 }, { tMax: 3 }).step(-2)).toThrow(
      'CosineAnnealingLR.step: epoch must be an integer >= 0, got -2',
    );
  });
});
