import { type HasLearningRate, LRScheduler } from './lr-scheduler.js';
import { checkNumber } from './optimizer.js';

export interface CosineAnnealingLROptions {
  /** Half-period in epochs (the lr reaches etaMin at epoch tMax), ≥ 1. */
  tMax: number;
  /** Minimum lr. Default 0. */
  etaMin?: number;
}

/**
 * Cosine annealing without restarts, PyTorch 1.13's `CosineAnnealingLR`:
 * lr = etaMin + (baseLr − etaMin)·(1 + cos(π·epoch/tMax))/2. `step()` uses torch's recursive form, which
 * also reproduces its behaviour past tMax (the lr rises again, period 2·tMax) and follows changes made to the
 * optimizer's lr by others; `step(epoch)` uses the closed form above.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax!: number;
  etaMin!: number;

  constructor(optimizer: HasLearningRate, options: CosineAnnealingLROptions) {
    super('CosineAnnealingLR', optimizer);
    if (!options || typeof options !== 'object')
      throw new TypeError('CosineAnnealingLR: options { tMax, etaMin? } are required');
    this.setHyper({ tMax: options.tMax, etaMin: options.etaMin ?? 0 });
    this.initialStep();
  }

  protected chainedLr(): number {
    const { lastEpoch: e, tMax: t, etaMin, baseLr } = this;
    const lr = this.optimizer.lr;
    if (e === 0) return lr;
    // Python's % is non-negative for a positive divisor; (e − 1 − t) can be negative here.
    if ((((e - 1 - t) % (2 * t)) + 2 * t) % (2 * t) === 0) {
      return lr + ((baseLr - etaMin) * (1 - Math.cos(Math.PI / t))) / 2;
    }
    return (
      ((1 + Math.cos((Math.PI * e) / t)) / (1 + Math.cos((Math.PI * (e - 1)) / t))) * (lr - etaMin) + etaMin
    );
  }

  protected closedFormLr(): number {
    return (
      this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2
    );
  }

  protected hyper() {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected setHyper(o: Record<string, number>): void {
    const { tMax = this.tMax, etaMin = this.etaMin } = o;
    if (typeof tMax !== 'number' || !Number.isFinite(tMax) || !(tMax > 0)) {
      throw new Error(`${this.typeName}: tMax must be a finite number > 0, got ${JSON.stringify(tMax)}`);
    }
    checkNumber(this.typeName, 'etaMin', etaMin, 0);
    this.tMax = tMax;
    this.etaMin = etaMin;
  }
}
