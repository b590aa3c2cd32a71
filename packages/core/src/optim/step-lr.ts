import { type HasLearningRate, LRScheduler } from './lr-scheduler.js';
import { checkNumber } from './optimizer.js';

export interface StepLROptions {
  /** Epochs between decays, an integer ≥ 1. */
  stepSize: number;
  /** Multiplicative decay. Default 0.1. */
  gamma?: number;
}

/**
 * Decays the lr by `gamma` every `stepSize` epochs: PyTorch 1.13's `StepLR`. `step()` uses torch's
 * recursive form (lr·gamma when lastEpoch is a positive multiple of stepSize, else unchanged); `step(epoch)`
 * the closed form baseLr·gamma^⌊epoch/stepSize⌋.
 *
 * @example
 * const opt = new Adam(params, { lr: 0.3 });
 * const sched = new StepLR(opt, { stepSize: 50, gamma: 0.8 });  // d2l's style transfer
 * for (let epoch = 0; epoch < n; epoch++) { opt.minimize(loss); sched.step(); }
 */
export class StepLR extends LRScheduler {
  stepSize!: number;
  gamma!: number;

  constructor(optimizer: HasLearningRate, options: StepLROptions) {
    super('StepLR', optimizer);
    if (!options || typeof options !== 'object')
      throw new TypeError('StepLR: options { stepSize, gamma? } are required');
    this.setHyper({ stepSize: options.stepSize, gamma: options.gamma ?? 0.1 });
    this.initialStep();
  }

  protected chainedLr(): number {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.optimizer.lr;
    return this.optimizer.lr * this.gamma;
  }

  protected closedFormLr(): number {
    return this.baseLr * this.gamma ** Math.floor(this.lastEpoch / this.stepSize);
  }

  protected hyper() {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected setHyper(o: Record<string, number>): void {
    const { stepSize = this.stepSize, gamma = this.gamma } = o;
    if (!Number.isInteger(stepSize) || stepSize < 1) {
      throw new Error(`${this.typeName}: stepSize must be an integer >= 1, got ${JSON.stringify(stepSize)}`);
    }
    checkNumber(this.typeName, 'gamma', gamma, 0);
    this.stepSize = stepSize;
    this.gamma = gamma;
  }
}
