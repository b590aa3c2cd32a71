/**
 * Errors of the dataset readers: every one names the file (or folder) and what was expected there.
 */

/** What went wrong with a file: it is absent, or present but not what it should be. */
export type DatasetFileProblem = 'missing' | 'corrupt';

/** An error about one file of a dataset tree; `path` is the full path or URL. */
export class DatasetFileError extends Error {
  override readonly name = 'DatasetFileError';
  constructor(
    message: string,
    readonly path: string,
    readonly problem: DatasetFileProblem,
  ) {
    super(message);
  }
}

/** What to do when an image or annotation cannot be read: throw (default) or skip it with a warning. */
export type OnError = 'throw' | 'skip';

export interface ErrorPolicy {
  /** 'throw' (default): a missing or corrupt image/label/annotation fails the read. 'skip': it is left out with a warning. */
  onError?: OnError;
  /** Where 'skip' warnings go. Default `console.warn`. */
  warn?: (message: string) => void;
}

export function checkOnError(fn: string, onError: unknown): OnError {
  const v = onError ?? 'throw';
  if (v !== 'throw' && v !== 'skip')
    throw new Error(`${fn}: onError must be 'throw' or 'skip', got '${String(v)}'`);
  return v;
}
