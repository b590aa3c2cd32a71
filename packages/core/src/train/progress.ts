/**
 * The progress interface between training loops (in the model packages) and whatever shows progress: the
 * Node terminal bar (`ProgressBar` from the Node entry), a browser UI, a test. A loop accepts an optional
 * {@link ProgressCallback} and reports through a {@link ProgressReporter}, which adds the timings.
 */

/** An epoch begins. `epoch` is 1-based; `steps` is the number of batches when known. */
export interface EpochStartEvent {
  type: 'epochStart';
  epoch: number;
  epochs: number;
  steps?: number;
}

/** A step (batch) of `epoch` finished. */
export interface StepEvent {
  type: 'step';
  epoch: number;
  epochs: number;
  /** 1-based step within the epoch. */
  step: number;
  steps?: number;
  /** Examples processed so far in this epoch. */
  examples: number;
  /** Seconds since the epoch started. */
  seconds: number;
  /** Examples per second so far in this epoch. */
  examplesPerSecond: number;
  /** Live metrics (running means such as the epoch's loss so far). */
  metrics: Record<string, number>;
}

/** An epoch finished. */
export interface EpochEndEvent {
  type: 'epochEnd';
  epoch: number;
  epochs: number;
  steps: number;
  examples: number;
  seconds: number;
  examplesPerSecond: number;
  /** The epoch's metrics (train loss, test accuracy...), what goes into the History. */
  metrics: Record<string, number>;
}

export type ProgressEvent = EpochStartEvent | StepEvent | EpochEndEvent;

/** What a training loop's `onProgress` option takes. It must not throw; it is called synchronously. */
export type ProgressCallback = (event: ProgressEvent) => void;

/** Calls each callback in turn (undefined ones are skipped). */
export function combineProgress(...callbacks: (ProgressCallback | undefined)[]): ProgressCallback {
  const list = callbacks.filter((c): c is ProgressCallback => typeof c === 'function');
  return (event) => {
    for (const c of list) c(event);
  };
}

/**
 * Formats metrics as `loss 0.4132  acc 0.8750`: 4 significant digits by default; integers as they are.
 */
export function formatMetrics(metrics: Record<string, number>, digits = 4): string {
  return Object.entries(metrics)
    .map(
      ([k, v]) =>
        `${k} ${Number.isInteger(v) ? String(v) : Number.isFinite(v) ? formatNumber(v, digits) : String(v)}`,
    )
    .join('  ');
}

function formatNumber(v: number, digits: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(digits - 1);
  return v.toPrecision(digits).replace(/(\.\d*?[1-9])0+$|\.0+$/, '$1');
}

/** One line per event worth logging: `epoch 3/10  loss 0.4132  acc 0.8750  1234.5 examples/s  2.1 s`. */
export function formatProgressLine(event: StepEvent | EpochEndEvent): string {
  const where =
    event.type === 'step'
      ? `epoch ${event.epoch}/${event.epochs} step ${event.step}${event.steps ? `/${event.steps}` : ''}`
      : `epoch ${event.epoch}/${event.epochs}`;
  const metrics = formatMetrics(event.metrics);
  return `${where}${metrics ? `  ${metrics}` : ''}  ${event.examplesPerSecond.toFixed(1)} examples/s  ${event.seconds.toFixed(1)} s`;
}

/**
 * A platform-neutral progress callback that logs one line per finished epoch (and, with `everySteps`, per
 * `everySteps` steps) through `log` (default `console.log`): for the browser console, or any logger.
 */
export function logProgress(
  options: { log?: (line: string) => void; everySteps?: number } = {},
): ProgressCallback {
  const log = options.log ?? ((line: string) => console.log(line));
  const every = options.everySteps ?? 0;
  if (!Number.isInteger(every) || every < 0)
    throw new Error(`logProgress: everySteps must be an integer ≥ 0, got ${String(every)}`);
  return (event) => {
    if (event.type === 'epochEnd' || (event.type === 'step' && every > 0 && event.step % every === 0))
      log(formatProgressLine(event));
  };
}

const now = (): number => globalThis.performance.now();

/**
 * The training loop's side of the interface: call `startEpoch`, then `step` per batch, then `endEpoch`;
 * it times the epoch, counts examples and calls the callback (a no-op without one).
 *
 * @example
 * const progress = new ProgressReporter(options.onProgress, { epochs: numEpochs });
 * for (let epoch = startEpoch; epoch <= numEpochs; epoch++) {
 *   progress.startEpoch(epoch, numBatches);
 *   for (const [x, y] of batches) {
 *     // ... train step, readScalars ...
 *     progress.step(x.shape[0], { loss: lossMetric.result() });
 *   }
 *   progress.endEpoch({ 'train loss': lossMetric.result(), 'test acc': testAcc });
 * }
 */
export class ProgressReporter {
  readonly epochs: number;
  private epoch = 0;
  private steps: number | undefined;
  private stepCount = 0;
  private examples = 0;
  private begin = 0;
  private inEpoch = false;

  constructor(
    private readonly callback: ProgressCallback | undefined,
    options: { epochs: number },
  ) {
    if (callback !== undefined && typeof callback !== 'function') {
      throw new Error(`ProgressReporter: callback must be a function or undefined, got ${typeof callback}`);
    }
    const epochs = options?.epochs;
    if (!Number.isInteger(epochs) || epochs < 1)
      throw new Error(`ProgressReporter: epochs must be an integer ≥ 1, got ${String(epochs)}`);
    this.epochs = epochs;
  }

  /** Starts timing epoch `epoch` (1-based) of `steps` batches (when known). */
  startEpoch(epoch: number, steps?: number): void {
    if (!Number.isInteger(epoch) || epoch < 1)
      throw new Error(`ProgressReporter.startEpoch: epoch must be an integer ≥ 1, got ${String(epoch)}`);
    if (steps !== undefined && (!Number.isInteger(steps) || steps < 0)) {
      throw new Error(
        `ProgressReporter.startEpoch: steps must be an integer ≥ 0 or undefined, got ${String(steps)}`,
      );
    }
    this.epoch = epoch;
    this.steps = steps;
    this.stepCount = 0;
    this.examples = 0;
    this.begin = now();
    this.inEpoch = true;
    this.callback?.({
      type: 'epochStart',
      epoch,
      epochs: this.epochs,
      ...(steps !== undefined ? { steps } : {}),
    });
  }

  /** Reports a finished batch of `batchSize` examples with the live metrics. */
  step(batchSize: number, metrics: Record<string, number> = {}): void {
    if (!this.inEpoch) throw new Error('ProgressReporter.step: call startEpoch() first');
    if (!Number.isInteger(batchSize) || batchSize < 0) {
      throw new Error(`ProgressReporter.step: batchSize must be an integer ≥ 0, got ${String(batchSize)}`);
    }
    this.stepCount++;
    this.examples += batchSize;
    const seconds = (now() - this.begin) / 1000;
    this.callback?.({
      type: 'step',
      epoch: this.epoch,
      epochs: this.epochs,
      step: this.stepCount,
      ...(this.steps !== undefined ? { steps: this.steps } : {}),
      examples: this.examples,
      seconds,
      examplesPerSecond: seconds > 0 ? this.examples / seconds : 0,
      metrics: { ...metrics },
    });
  }

  /** Ends the epoch with its final metrics; returns the event it reported. */
  endEpoch(metrics: Record<string, number> = {}): EpochEndEvent {
    if (!this.inEpoch) throw new Error('ProgressReporter.endEpoch: call startEpoch() first');
    this.inEpoch = false;
    const seconds = (now() - this.begin) / 1000;
    const event: EpochEndEvent = {
      type: 'epochEnd',
      epoch: this.epoch,
      epochs: this.epochs,
      steps: this.stepCount,
      examples: this.examples,
      seconds,
      examplesPerSecond: seconds > 0 ? this.examples / seconds : 0,
      metrics: { ...metrics },
    };
    this.callback?.(event);
    return event;
  }
}
