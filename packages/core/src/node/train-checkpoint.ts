import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  type CheckpointData,
  disposeCheckpoint,
  type ParsedCheckpoint,
  parseCheckpoint,
  serializeCheckpoint,
} from '../train/checkpoint-format.js';
import { writeFileAtomic } from './atomic-write.js';

const NAME = /^checkpoint-(\d+)\.safetensors$/;

/** The file name of epoch `epoch`'s checkpoint: `checkpoint-000012.safetensors`. */
export function checkpointFileName(epoch: number): string {
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new Error(`checkpointFileName: epoch must be an integer ≥ 0, got ${String(epoch)}`);
  return `checkpoint-${String(epoch).padStart(6, '0')}.safetensors`;
}

export interface SaveCheckpointOptions {
  /** Keep only the newest `keepLast` checkpoints in `dir` (older ones are deleted after the save). Default: keep all. */
  keepLast?: number;
}

/**
 * Saves a checkpoint to `dir/checkpoint-<epoch>.safetensors` (the directory is created), atomically: the
 * file is written to a temporary name, fsynced and renamed, so a crash mid-save leaves the previous
 * checkpoints intact and never a partial file under a checkpoint name. The format is safetensors
 * (see `serializeCheckpoint`). A tfjs optimizer passed as `optimizer` has its state exported (step count,
 * momentum/Adam slots). Returns the path written.
 *
 * @example
 * await saveCheckpoint('runs/fcn', { epoch, model: net.stateDict(), optimizer, history, rngState: rng.state }, { keepLast: 3 });
 */
export async function saveCheckpoint(
  dir: string,
  data: CheckpointData,
  options: SaveCheckpointOptions = {},
): Promise<string> {
  if (typeof dir !== 'string' || dir === '')
    throw new Error(`saveCheckpoint: dir must be a non-empty path, got ${String(dir)}`);
  const { keepLast } = options;
  if (keepLast !== undefined && (!Number.isInteger(keepLast) || keepLast < 1)) {
    throw new Error(`saveCheckpoint: options.keepLast must be an integer ≥ 1, got ${String(keepLast)}`);
  }
  const bytes = await serializeCheckpoint(data);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, checkpointFileName(data.epoch));
  await writeFileAtomic(file, bytes);
  if (keepLast !== undefined) {
    const all = await listCheckpoints(dir);
    await Promise.all(
      all.slice(0, Math.max(0, all.length - keepLast)).map((c) => rm(c.path, { force: true })),
    );
  }
  return file;
}

/** The checkpoints in `dir`, oldest epoch first (temporary files of unfinished saves are not listed). */
export async function listCheckpoints(dir: string): Promise<{ epoch: number; path: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map((name) => ({ m: NAME.exec(name), name }))
    .filter((x): x is { m: RegExpExecArray; name: string } => x.m !== null)
    .map(({ m, name }) => ({ epoch: Number(m[1]), path: path.join(dir, name) }))
    .sort((a, b) => a.epoch - b.epoch);
}

/** A loaded checkpoint: the parsed content, its file, and any newer files that could not be read. */
export interface LoadedCheckpoint extends ParsedCheckpoint {
  path: string;
  /** Newer checkpoint files that were skipped because they did not parse, with the reason. */
  skipped: { path: string; reason: string }[];
}

/**
 * Loads the newest checkpoint in `dir` that reads back whole (a damaged newer file is skipped and reported
 * in `skipped`, with a warning), or epoch `options.epoch`'s exactly (an error if missing or damaged).
 * Returns undefined when `dir` holds no checkpoint, so a loop can write
 * `const start = (ck?.epoch ?? 0) + 1`. The tensors are the caller's: load `model` into the variables,
 * `importOptimizerState(optimizer, ck.optimizer)`, then `disposeCheckpoint(ck)`.
 */
export async function loadCheckpoint(
  dir: string,
  options: { epoch?: number } = {},
): Promise<LoadedCheckpoint | undefined> {
  if (typeof dir !== 'string' || dir === '')
    throw new Error(`loadCheckpoint: dir must be a non-empty path, got ${String(dir)}`);
  const all = await listCheckpoints(dir);
  if (options.epoch !== undefined) {
    const file = path.join(dir, checkpointFileName(options.epoch));
    if (!all.some((c) => c.path === file)) {
      throw new Error(
        `loadCheckpoint: no checkpoint for epoch ${options.epoch} in ${dir}; it has epochs ${all.map((c) => c.epoch).join(', ') || 'none'}`,
      );
    }
    return { ...(await readCheckpoint(file)), path: file, skipped: [] };
  }
  const skipped: { path: string; reason: string }[] = [];
  for (const c of [...all].reverse()) {
    try {
      const ck = await readCheckpoint(c.path);
      return { ...ck, path: c.path, skipped };
    } catch (err) {
      const reason = (err as Error).message;
      console.warn(`loadCheckpoint: skipping ${c.path}: ${reason}`);
      skipped.push({ path: c.path, reason });
    }
  }
  if (skipped.length > 0) {
    throw new Error(
      `loadCheckpoint: none of the ${skipped.length} checkpoints in ${dir} could be read: ${skipped.map((s) => `${s.path}: ${s.reason}`).join('; ')}`,
    );
  }
  return undefined;
}

async function readCheckpoint(file: string): Promise<ParsedCheckpoint> {
  const bytes = await readFile(file);
  const ck = parseCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const expected = Number(NAME.exec(path.basename(file))?.[1]);
  if (ck.epoch !== expected) {
    disposeCheckpoint(ck);
    throw new Error(`${file} holds epoch ${ck.epoch}, not ${expected} as its name says`);
  }
  return ck;
}
