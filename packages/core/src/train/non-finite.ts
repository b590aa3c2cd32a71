import * as tf from '@tensorflow/tfjs-core';

/** Where in training a value was checked; named in the error message. */
export interface TrainingPosition {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based step (batch) within the epoch. */
  step?: number;
  /** Steps per epoch, when known. */
  steps?: number;
  /** The learning rate in use, named in the suggestion. */
  learningRate?: number;
  /** What was checked. Default 'loss'. */
  what?: string;
}

/**
 * Thrown by {@link checkFinite} when the loss is NaN or ±Infinity. Training cannot recover from it (an update
 * with a non-finite loss makes the parameters non-finite), so a loop lets it propagate, after disposing its tensors,
 * and does not write a checkpoint: the last checkpoint on disk stays the last good state.
 */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  readonly epoch: number;
  readonly step: number | undefined;
  readonly value: number;

  constructor(value: number, where: TrainingPosition) {
    const what = where.what ?? 'loss';
    const at = `epoch ${where.epoch}${where.step !== undefined ? `, step ${where.step}${where.steps !== undefined ? ` of ${where.steps}` : ''}` : ''}`;
    const lr = where.learningRate !== undefined ? ` (now ${where.learningRate})` : '';
    super(
      `Training stopped: the ${what} is ${String(value)} at ${at}. The parameters are, or are about to be, ` +
        `non-finite, so training cannot continue and no checkpoint is written. Lower the learning rate${lr}, ` +
        'clip gradients, or look for NaN/Inf in the inputs and labels; then resume from the last checkpoint.',
    );
    this.epoch = where.epoch;
    this.step = where.step;
    this.value = value;
  }
}

/**
 * Throws {@link NonFiniteLossError} when `loss` is NaN or ±Infinity; returns it (as a number) otherwise.
 * Pass the number the step already read (see `readScalars`): a tensor is read with `dataSync()` (every
 * element checked), which blocks on GPU backends.
 *
 * The pattern (dispose the step's tensors before checking, save checkpoints only after a good epoch):
 * @example
 * for (let epoch = start; epoch <= epochs; epoch++) {
 *   for (const [step, [x, y]] of batches.entries()) {
 *     const lossT = optimizer.minimize(() => lossFn(net(x), y), true)!;
 *     const [loss] = await readScalars([lossT], { dispose: true });
 *     checkFinite(loss!, { epoch, step: step + 1, steps: batches.length, learningRate: lr });
 *     meanLoss.update(loss!, x.shape[0]);
 *   }
 *   await saveCheckpoint(dir, { epoch, model: net.stateDict(), optimizer, history });
 * }
 */
export function checkFinite(loss: number | tf.Tensor, where: TrainingPosition): number {
  if (where === null || typeof where !== 'object' || typeof where.epoch !== 'number') {
    throw new Error(
      `checkFinite: the second argument must be { epoch, step? }, got ${JSON.stringify(where)}`,
    );
  }
  let value: number;
  if (loss instanceof tf.Tensor) {
    if (loss.size === 0)
      throw new Error(`checkFinite: the ${where.what ?? 'loss'} tensor is empty (shape [${loss.shape}])`);
    const data = loss.dataSync() as ArrayLike<number>;
    value = data[0]!;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        value = data[i]!;
        break;
      }
    }
  } else if (typeof loss === 'number') {
    value = loss;
  } else {
    throw new Error(`checkFinite: loss must be a number or a tensor, got ${typeof loss}`);
  }
  if (!Number.isFinite(value)) throw new NonFiniteLossError(value, where);
  return value;
}
