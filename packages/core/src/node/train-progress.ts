import cliProgress from 'cli-progress';
import {
  type EpochEndEvent,
  formatMetrics,
  formatProgressLine,
  type ProgressCallback,
  type ProgressEvent,
  type StepEvent,
} from '../train/progress.js';

/** A stream the bar writes to: `process.stdout` or anything with `write` (and `isTTY`/`columns` for a terminal). */
export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  /** Where to write. Default `process.stdout`. */
  stream?: ProgressStream;
  /** Draw a live bar (true) or plain log lines (false). Default: whether `stream` is a terminal (`isTTY`). */
  tty?: boolean;
  /** Plain-line mode: log a step line at most every this many seconds (0: epoch lines only). Default 10. */
  logEverySeconds?: number;
  /** Width of the bar in characters. Default 24. */
  barSize?: number;
}

type Bar = InstanceType<typeof cliProgress.SingleBar>;

/**
 * The Node terminal progress display for a training loop: one `cli-progress` bar per epoch with ETA and
 * live metrics (loss, examples/s), left on screen with the epoch's final metrics when the epoch ends:
 *
 *     epoch 2/10 ████████████░░░░░░░░░░░░ 12/24 [00:03<00:03] loss 0.4132  acc 0.875  812.4 examples/s
 *
 * When the stream is not a terminal (CI, a file), it writes plain lines instead: one per epoch, and one per
 * step at most every `logEverySeconds`. Pass `bar.callback` as a training loop's `onProgress`; call
 * `stop()` in a `finally` if the loop can throw mid-epoch (the bar's redraw timer never keeps the process
 * alive, but the half-drawn line should end with a newline).
 *
 * @example
 * const bar = new ProgressBar();
 * try { await train(net, data, { epochs: 10, onProgress: bar.callback }); } finally { bar.stop(); }
 */
export class ProgressBar {
  /** The callback to give a training loop (bound to this bar). */
  readonly callback: ProgressCallback;
  readonly tty: boolean;
  private readonly stream: ProgressStream;
  private readonly logEvery: number;
  private readonly barSize: number;
  private bar: Bar | undefined;
  private lastLog = 0;

  constructor(options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    if (!this.stream || typeof this.stream.write !== 'function')
      throw new Error('ProgressBar: options.stream must have a write() method');
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.logEvery = options.logEverySeconds ?? 10;
    if (typeof this.logEvery !== 'number' || !(this.logEvery >= 0)) {
      throw new Error(
        `ProgressBar: options.logEverySeconds must be a number ≥ 0, got ${String(options.logEverySeconds)}`,
      );
    }
    this.barSize = options.barSize ?? 24;
    if (!Number.isInteger(this.barSize) || this.barSize < 1)
      throw new Error(`ProgressBar: options.barSize must be an integer ≥ 1, got ${String(options.barSize)}`);
    this.callback = (event) => this.handle(event);
  }

  /** Shows one progress event. */
  handle(event: ProgressEvent): void {
    if (this.tty) this.handleTty(event);
    else this.handlePlain(event);
  }

  /** Ends a bar in progress (a training loop that threw mid-epoch). Safe to call at any time. */
  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
  }

  private handlePlain(event: ProgressEvent): void {
    const now = globalThis.performance.now();
    if (event.type === 'epochStart') {
      this.lastLog = now;
    } else if (event.type === 'epochEnd') {
      this.stream.write(`${formatProgressLine(event)}\n`);
    } else if (this.logEvery > 0 && now - this.lastLog >= this.logEvery * 1000) {
      this.lastLog = now;
      this.stream.write(`${formatProgressLine(event)}\n`);
    }
  }

  private handleTty(event: ProgressEvent): void {
    if (event.type === 'epochStart') {
      this.stop();
      const known = event.steps !== undefined && event.steps > 0;
      const bar: Bar = new cliProgress.SingleBar(
        {
          stream: this.stream as unknown as NodeJS.WritableStream,
          format: known
            ? 'epoch {epoch}/{epochs} {bar} {value}/{total} [{duration_formatted}<{eta_formatted}] {metrics}'
            : 'epoch {epoch}/{epochs} step {value} [{duration_formatted}] {metrics}',
          barsize: this.barSize,
          hideCursor: false,
          clearOnComplete: false,
          stopOnComplete: false,
          gracefulExit: false,
          etaBuffer: 50,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      // cli-progress redraws on a timer; unref each one so the bar never keeps the process alive.
      const render = bar.render.bind(bar);
      bar.render = () => {
        render();
        (bar as unknown as { timer?: { unref?: () => void } }).timer?.unref?.();
      };
      bar.start(known ? event.steps! : 0, 0, { epoch: event.epoch, epochs: event.epochs, metrics: '' });
      this.bar = bar;
      return;
    }
    if (!this.bar) return; // a step or epoch end without a start: nothing to draw on
    this.bar.update(event.type === 'step' ? event.step : event.steps, { metrics: this.payload(event) });
    if (event.type === 'epochEnd') this.stop();
  }

  private payload(event: StepEvent | EpochEndEvent): string {
    const metrics = formatMetrics(event.metrics);
    return `${metrics ? `${metrics}  ` : ''}${event.examplesPerSecond.toFixed(1)} examples/s`;
  }
}
