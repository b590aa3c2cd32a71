/** Milliseconds from a monotonic clock (`performance.now`, in Node and browsers). */
const now = (): number => globalThis.performance.now();

/**
 * Records running times, d2l's `Timer`: `start()`, `stop()` returns the seconds since `start()` and keeps
 * them; `avg()`, `sum()`, `cumsum()` summarise the kept times. The timer starts when constructed.
 */
export class Timer {
  private readonly times: number[] = [];
  private begin = now();
  private running = true;

  /** Starts (or restarts) the clock. */
  start(): void {
    this.begin = now();
    this.running = true;
  }

  /** Stops the clock, keeps and returns the seconds since the last `start()` (or construction). */
  stop(): number {
    if (!this.running) throw new Error('Timer.stop: the timer is not running; call start() first');
    const seconds = (now() - this.begin) / 1000;
    this.times.push(seconds);
    this.running = false;
    return seconds;
  }

  /** Seconds since the last `start()` without stopping; 0 when stopped. */
  elapsed(): number {
    return this.running ? (now() - this.begin) / 1000 : 0;
  }

  /** The mean of the kept times in seconds (NaN when none). */
  avg(): number {
    return this.times.length ? this.sum() / this.times.length : Number.NaN;
  }

  /** The total of the kept times in seconds. */
  sum(): number {
    return this.times.reduce((a, b) => a + b, 0);
  }

  /** Running totals of the kept times in seconds. */
  cumsum(): number[] {
    let total = 0;
    return this.times.map((t) => (total += t));
  }

  /** A copy of the kept times in seconds. */
  get laps(): number[] {
    return [...this.times];
  }
}
