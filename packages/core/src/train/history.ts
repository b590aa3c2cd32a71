/** One epoch's metrics: `{ epoch: 3, 'train loss': 0.41, 'test acc': 0.87 }`. */
export interface HistoryRecord {
  epoch: number;
  [metric: string]: number;
}

/** What `History.toJSON()` gives and `History.fromJSON` takes (also accepts a bare record array). */
export interface HistoryJSON {
  records: HistoryRecord[];
}

/**
 * A per-epoch training history: one record `{ epoch, ...metrics }` per epoch, in increasing epoch order
 * (what d2l's `Animator` accumulates and Keras's `History.history` holds, one row per epoch). Metrics of
 * the same epoch recorded separately (train metrics, then test accuracy) are merged into one record.
 * Serialise with `JSON.stringify(history)`; save and load files with `saveHistory`/`loadHistory` from the
 * Node entry; plot with `renderHistorySvg`.
 */
export class History {
  private readonly rows: HistoryRecord[] = [];

  /**
   * Records `metrics` for `epoch` (any finite number ≥ 0, usually the 1-based epoch just finished; a
   * fraction such as 2.5 for a mid-epoch point). The epoch must not be below the last recorded one; the
   * same epoch as the last merges (a metric given twice keeps the newer value).
   */
  record(epoch: number, metrics: Record<string, number>): HistoryRecord {
    if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0) {
      throw new Error(`History.record: epoch must be a finite number ≥ 0, got ${String(epoch)}`);
    }
    if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) {
      throw new Error(
        `History.record: metrics must be an object of numbers, got ${Array.isArray(metrics) ? 'an array' : String(metrics)}`,
      );
    }
    for (const [key, value] of Object.entries(metrics)) {
      if (key === 'epoch')
        throw new Error(
          "History.record: 'epoch' is not a metric name (pass the epoch as the first argument)",
        );
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new Error(
          `History.record: metric '${key}' at epoch ${epoch} must be a finite number, got ${String(value)}`,
        );
      }
    }
    const last = this.rows[this.rows.length - 1];
    if (last && epoch < last.epoch) {
      throw new Error(
        `History.record: epoch ${epoch} is before the last recorded epoch ${last.epoch}; epochs must not decrease`,
      );
    }
    if (last && epoch === last.epoch) {
      Object.assign(last, metrics);
      return { ...last };
    }
    const row = { epoch, ...metrics } as HistoryRecord;
    this.rows.push(row);
    return { ...row };
  }

  /** Copies of all records, oldest first. */
  get records(): HistoryRecord[] {
    return this.rows.map((r) => ({ ...r }));
  }

  /** The number of records. */
  get length(): number {
    return this.rows.length;
  }

  /** A copy of the last record, or undefined when empty. */
  last(): HistoryRecord | undefined {
    const r = this.rows[this.rows.length - 1];
    return r ? { ...r } : undefined;
  }

  /** Metric names in the order they first appear. */
  metricNames(): string[] {
    const names = new Set<string>();
    for (const r of this.rows) for (const k of Object.keys(r)) if (k !== 'epoch') names.add(k);
    return [...names];
  }

  /** The `(epoch, value)` points of one metric, skipping epochs that did not record it. */
  series(metric: string): { epoch: number; value: number }[] {
    return this.rows.filter((r) => metric in r).map((r) => ({ epoch: r.epoch, value: r[metric]! }));
  }

  /**
   * Drops the records after `epoch` (keeps `record.epoch ≤ epoch`). Use it when resuming from a checkpoint
   * older than the history on disk, so the resumed epochs are not recorded twice.
   */
  truncate(epoch: number): void {
    if (typeof epoch !== 'number' || Number.isNaN(epoch))
      throw new Error(`History.truncate: epoch must be a number, got ${String(epoch)}`);
    const keep = this.rows.filter((r) => r.epoch <= epoch).length;
    this.rows.length = keep;
  }

  /** `{ records }`, plain data for `JSON.stringify`. */
  toJSON(): HistoryJSON {
    return { records: this.records };
  }

  /** Rebuilds a History from `toJSON()`'s output (or a bare array of records), validating every record. */
  static fromJSON(json: HistoryJSON | HistoryRecord[] | string): History {
    const data: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    const records = Array.isArray(data) ? data : (data as HistoryJSON | null)?.records;
    if (!Array.isArray(records)) {
      throw new Error(
        'History.fromJSON: expected { records: [...] } or an array of { epoch, ...metrics } records',
      );
    }
    const history = new History();
    records.forEach((r: unknown, i) => {
      if (r === null || typeof r !== 'object' || typeof (r as HistoryRecord).epoch !== 'number') {
        throw new Error(
          `History.fromJSON: record ${i} must be an object with a numeric 'epoch', got ${JSON.stringify(r)}`,
        );
      }
      const { epoch, ...metrics } = r as HistoryRecord;
      history.record(epoch, metrics);
    });
    return history;
  }

  /** An independent copy. */
  clone(): History {
    return History.fromJSON(this.toJSON());
  }
}
