/** Anything with a mutable learning rate: the optimizers of this folder. */
export interface HasLearningRate {
  lr: number;
}

/** A scheduler's state: JSON-serializable, for checkpoints. */
export interface LRSchedulerStateDict {
  type: string;
  options: Record<string, number>;
  baseLr: number;
  lastEpoch: number;
  stepCount: number;
  lastLr: number;
}

/**
 * Base of the learning-rate schedulers, PyTorch 1.13's `_LRScheduler` for one parameter group: on
 * construction it records the optimizer's lr as `baseLr` and takes the initial step (lastEpoch −1 → 0,
 * lr unchanged). Call `step()` once per epoch after the epoch's optimizer steps; it sets `optimizer.lr`.
 * `step(epoch)` jumps to an epoch with the closed form, as PyTorch's deprecated `step(epoch)` does.
 */
export abstract class LRScheduler {
  /** The optimizer's lr when the scheduler was made (PyTorch's `base_lrs[0]`). */
  baseLr: number;
  /** Epochs stepped so far (0 after construction). */
  lastEpoch = -1;
  private stepCount = 0;
  private lastLr: number;

  protected constructor(
    protected readonly typeName: string,
    readonly optimizer: HasLearningRate,
  ) {
    if (!optimizer || typeof optimizer.lr !== 'number') {
      throw new TypeError(
        `${typeName}: optimizer must be an optimizer with a numeric lr, got ${optimizer === null ? 'null' : typeof optimizer}`,
      );
    }
    this.baseLr = optimizer.lr;
    this.lastLr = optimizer.lr;
  }

  /** Takes PyTorch's initial step; subclasses call it at the end of their constructor. */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The recursive (chainable) lr for `lastEpoch` from the optimizer's current lr, as PyTorch's get_lr. */
  protected abstract chainedLr(): number;

  /** The closed-form lr for `lastEpoch`, as PyTorch's _get_closed_form_lr. */
  protected abstract closedFormLr(): number;

  /** Hyper-parameters for the state dict. */
  protected abstract hyper(): Record<string, number>;

  /** Sets hyper-parameters from a state dict (validated). */
  protected abstract setHyper(options: Record<string, number>): void;

  /** Advances one epoch (or jumps to `epoch`) and sets the optimizer's lr. */
  step(epoch?: number): void {
    this.stepCount++;
    let lr: number;
    if (epoch === undefined) {
      this.lastEpoch++;
      lr = this.chainedLr();
    } else {
      if (!Number.isInteger(epoch) || epoch < 0)
        throw new Error(`${this.typeName}.step: epoch must be an integer >= 0, got ${epoch}`);
      this.lastEpoch = epoch;
      lr = this.closedFormLr();
    }
    this.optimizer.lr = lr;
    this.lastLr = lr;
  }

  /** The lr the last step set (PyTorch's `get_last_lr()[0]`). */
  getLastLr(): number {
    return this.lastLr;
  }

  stateDict(): LRSchedulerStateDict {
    return {
      type: this.typeName,
      options: this.hyper(),
      baseLr: this.baseLr,
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      lastLr: this.lastLr,
    };
  }

  /**
   * Restores the state; with the optimizer's own state (which holds its lr) it continues the schedule
   * exactly where it stopped. Does not change the optimizer's lr, as PyTorch's load_state_dict does not.
   */
  loadStateDict(state: LRSchedulerStateDict): void {
    const fn = `${this.typeName}.loadStateDict`;
    if (!state || typeof state !== 'object')
      throw new TypeError(`${fn}: expected the object stateDict() returns`);
    if (state.type !== this.typeName)
      throw new Error(`${fn}: state is for ${state.type}, not ${this.typeName}`);
    for (const k of ['baseLr', 'lastEpoch', 'stepCount', 'lastLr'] as const) {
      if (typeof state[k] !== 'number' || !Number.isFinite(state[k])) {
        throw new TypeError(`${fn}: ${k} must be a finite number, got ${JSON.stringify(state[k])}`);
      }
    }
    this.setHyper(state.options ?? {});
    this.baseLr = state.baseLr;
    this.lastEpoch = state.lastEpoch;
    this.stepCount = state.stepCount;
    this.lastLr = state.lastLr;
  }
}
