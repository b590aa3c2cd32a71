// Golden values: fixtures/optim/optim.json ("schedules"), made by fixtures/optim/make_optim.py: torch 1.13
// StepLR's get_last_lr() after construction and after each of 12 epochs (optimizer.step(), scheduler.step()).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose } from '../testing/index.js';
import { optimFixture } from './golden-fixture.js';
import { SGD } from './sgd.js';
import { StepLR } from './step-lr.js';

const cases = optimFixture.schedules.filter((c) => c.scheduler === 'StepLR');

describe('StepLR', () => {
  beforeAll(() => initBackend('cpu', { log: false }));

  it.each(cases.map((c) => [JSON.stringify(c.options), c] as const))(
    "matches torch's lr sequence over 12 epochs: %s",
    (_n, c) => {
      const v = tf.variable(tf.zeros([1]));
      const opt = new SGD([v], { lr: c.lr });
      const sched = new StepLR(opt, c.options as never);
      const lrs = [sched.getLastLr()];
      for (let e = 0; e < 12; e++) {
        opt.step({ [v.name]: tf.ones([1]) });
        sched.step();
        lrs.push(sched.getLastLr());
        expect(opt.lr).toBe(sched.getLastLr());
      }
      expectClose(lrs, c.lrs, { rtol: 1e-12, atol: 0 });
      // The closed form (step(epoch)) agrees.
      const closed = c.lrs.map((_, e) => {
        sched.step(e);
        return sched.getLastLr();
      });
      expectClose(closed, c.lrs, { rtol: 1e-12, atol: 0 });
      opt.dispose();
      v.dispose();
    },
  );

  it('changes the lr the optimizer steps with', () => {
    const v = tf.variable(tf.tensor([1]));
    const opt = new SGD([v], { lr: 1 });
    const sched = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    for (let e = 0; e < 3; e++) {
      opt.step({ [v.name]: tf.ones([1]) });
      sched.step();
    }
    expect(v.dataSync()[0]).toBeCloseTo(1 - 1 - 0.5 - 0.25, 6);
  });

  it('resumes from its state dict', () => {
    const c = cases[0]!;
    const opt = { lr: c.lr };
    const sched = new StepLR(opt, c.options as never);
    for (let e = 0; e < 4; e++) sched.step();
    const saved = JSON.parse(JSON.stringify(sched.stateDict()));
    const opt2 = { lr: opt.lr };
    const resumed = new StepLR(opt2, { stepSize: 100 });
    resumed.loadStateDict(saved);
    const lrs = [];
    for (let e = 4; e < 12; e++) {
      resumed.step();
      lrs.push(opt2.lr);
    }
    expectClose(lrs, c.lrs.slice(5), { rtol: 1e-12, atol: 0 });
  });

  it('validates its options', () => {
    expect(() => new StepLR({ lr: 1 }, { stepSize: 0 })).toThrow(
      'StepLR: stepSize must be an integer >= 1, got 0',
    );
    expect(() => new StepLR({ lr: 1 }, { stepSize: 2, gamma: -1 })).toThrow(
      'StepLR: gamma must be a finite number >= 0, got -1',
    );
    expect(() => new StepLR({} as never, { stepSize: 2 })).toThrow(
      'StepLR: optimizer must be an optimizer with a numeric lr, got object',
    );
    expect(() =>
      new StepLR({ lr: 1 }, { stepSize: 2 }).loadStateDict({ type: 'CosineAnnealingLR' } as never),
    ).toThrow('StepLR.loadStateDict: state is for CosineAnnealingLR, not StepLR');
  });
});
