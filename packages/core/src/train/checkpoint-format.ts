import * as tf from '@tensorflow/tfjs-core';
import {
  parseSafetensors,
  type SafetensorsTensorInput,
  serializeSafetensors,
  tfDtypeOf,
} from '../weights/index.js';
import { History, type HistoryJSON } from './history.js';
import { exportOptimizerState, type OptimizerState } from './optimizer-state.js';

/**
 * What a training checkpoint holds: everything a loop needs to continue at epoch `epoch + 1` as if it had
 * never stopped (PyTorch's `{'epoch', 'model_state_dict', 'optimizer_state_dict', ...}` recipe).
 */
export interface CheckpointData {
  /** The epoch just finished (1-based; 0 for the initial state). Resume at `epoch + 1`. */
  epoch: number;
  /** Parameters and buffers by name: a module's `stateDict()` or a record of `tf.Variable`s. Not disposed. */
  model: Record<string, tf.Tensor>;
  /** A tfjs optimizer (its state is read with `exportOptimizerState`) or state already exported. */
  optimizer?: tf.Optimizer | OptimizerState;
  /** The history so far. */
  history?: History | HistoryJSON;
  /** A random generator's state (any JSON value), to continue the same random stream (shuffling, augmentation). */
  rngState?: unknown;
  /** Anything else JSON-serialisable (hyper-parameters, the learning-rate schedule's state...). */
  extra?: Record<string, unknown>;
}

/** A checkpoint read back: tensors the caller owns (dispose them, e.g. with `disposeCheckpoint`). */
export interface ParsedCheckpoint {
  epoch: number;
  model: Record<string, tf.Tensor>;
  /** `iter` and the slot tensors in the saved order: pass to `importOptimizerState`. Empty when none was saved. */
  optimizer: OptimizerState;
  history?: History;
  rngState?: unknown;
  extra?: Record<string, unknown>;
}

const FORMAT = 'cv-checkpoint';
const VERSION = '1';
const DTYPES = { float32: 'F32', int32: 'I32', bool: 'BOOL' } as const;

function isOptimizer(x: unknown): x is tf.Optimizer {
  // (tf.Optimizer's instanceof reads x.minimize, so test for an object first.)
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as tf.Optimizer).getWeights === 'function' &&
    typeof (x as tf.Optimizer).setWeights === 'function'
  );
}

function checkJson(fn: string, what: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new Error(`${fn}: ${what} is not JSON-serialisable: ${(err as Error).message}`);
  }
  if (text === undefined) throw new Error(`${fn}: ${what} is not JSON-serialisable (got ${typeof value})`);
  return text;
}

/**
 * Serialises a checkpoint to the bytes of a safetensors file (written by `serializeSafetensors` from
 * `src/weights`): tensors are named `model.<name>` and
 * `optimizer.<name>`; the epoch, history, RNG state, extra data and the optimizer's step count go in the
 * header's `__metadata__` as JSON strings, so any safetensors reader lists the tensors. Tensors are
 * read with `data()` (async, one read each); none is disposed.
 */
export async function serializeCheckpoint(data: CheckpointData): Promise<Uint8Array> {
  const fn = 'serializeCheckpoint';
  if (data === null || typeof data !== 'object')
    throw new Error(`${fn}: expected { epoch, model, ... }, got ${String(data)}`);
  const { epoch, model, optimizer, history, rngState, extra } = data;
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new Error(`${fn}: epoch must be an integer ≥ 0, got ${String(epoch)}`);
  if (model === null || typeof model !== 'object' || Array.isArray(model) || model instanceof tf.Tensor) {
    throw new Error(
      `${fn}: model must be a record of named tensors (a stateDict), got ${model instanceof tf.Tensor ? 'a tensor' : String(model)}`,
    );
  }
  const exported = isOptimizer(optimizer) ? await exportOptimizerState(optimizer) : undefined;
  try {
    const optState: OptimizerState = exported ?? (optimizer as OptimizerState | undefined) ?? {};
    if (typeof optState !== 'object')
      throw new Error(`${fn}: optimizer must be a tfjs Optimizer or a record of tensors and numbers`);
    const entries: [string, tf.Tensor][] = [];
    const scalars: Record<string, number> = {};
    for (const [name, t] of Object.entries(model)) {
      if (!(t instanceof tf.Tensor))
        throw new Error(`${fn}: model['${name}'] must be a tensor, got ${typeof t}`);
      entries.push([`model.${name}`, t]);
    }
    for (const [name, v] of Object.entries(optState)) {
      if (typeof v === 'number') scalars[name] = v;
      else if (v instanceof tf.Tensor) entries.push([`optimizer.${name}`, v]);
      else throw new Error(`${fn}: optimizer['${name}'] must be a tensor or a number, got ${typeof v}`);
    }
    for (const [key, t] of entries) {
      if (t.isDisposed) throw new Error(`${fn}: '${key}' is a disposed tensor`);
      if (!(t.dtype in DTYPES))
        throw new Error(`${fn}: '${key}' has dtype ${t.dtype}; checkpoints hold float32, int32 and bool`);
    }
    const arrays = await Promise.all(entries.map(([, t]) => t.data()));

    const metadata: Record<string, string> = {
      format: FORMAT,
      version: VERSION,
      epoch: String(epoch),
      order: JSON.stringify(entries.map(([key]) => key)),
      optimizer_scalars: checkJson(fn, 'optimizer state numbers', scalars),
    };
    if (history !== undefined) {
      const json = history instanceof History ? history.toJSON() : History.fromJSON(history).toJSON();
      metadata.history = JSON.stringify(json);
    }
    if (rngState !== undefined) metadata.rng_state = checkJson(fn, 'rngState', rngState);
    if (extra !== undefined) metadata.extra = checkJson(fn, 'extra', extra);

    const tensors: Record<string, SafetensorsTensorInput> = {};
    entries.forEach(([key, t], i) => {
      tensors[key] = {
        dtype: DTYPES[t.dtype as keyof typeof DTYPES],
        shape: t.shape,
        data: arrays[i] as Float32Array | Int32Array | Uint8Array,
      };
    });
    return serializeSafetensors(tensors, metadata);
  } finally {
    if (exported) tf.dispose(Object.values(exported).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
  }
}

function parseJsonField(fn: string, meta: Record<string, string>, key: string): unknown {
  if (!(key in meta)) return undefined;
  try {
    return JSON.parse(meta[key]!);
  } catch (err) {
    throw new Error(`${fn}: metadata '${key}' is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Parses the bytes of {@link serializeCheckpoint} (with `parseSafetensors` from `src/weights`). The whole
 * file is validated (header, dtypes, shapes, offsets covering the data exactly, the checkpoint metadata)
 * before any tensor is made, so a truncated or foreign file throws
 * and leaks nothing. The returned tensors are the caller's.
 */
export function parseCheckpoint(bytes: Uint8Array): ParsedCheckpoint {
  const fn = 'parseCheckpoint';
  if (!(bytes instanceof Uint8Array)) throw new Error(`${fn}: expected a Uint8Array, got ${typeof bytes}`);
  let file: ReturnType<typeof parseSafetensors>;
  try {
    file = parseSafetensors(bytes);
  } catch (err) {
    throw new Error(`${fn}: ${(err as Error).message}`);
  }
  const meta = file.metadata;
  if (meta.format !== FORMAT)
    throw new Error(
      `${fn}: not a checkpoint (metadata.format is ${JSON.stringify(meta.format)}, expected '${FORMAT}')`,
    );
  if (meta.version !== VERSION)
    throw new Error(`${fn}: checkpoint version ${meta.version} is not supported (expected ${VERSION})`);
  const epoch = Number(meta.epoch);
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new Error(`${fn}: metadata.epoch ${JSON.stringify(meta.epoch)} is not an integer ≥ 0`);
  // The safetensors writer orders tensors by dtype and name; tfjs optimizers need their slots in saved order.
  const order = parseJsonField(fn, meta, 'order') as unknown;
  if (
    !Array.isArray(order) ||
    order.length !== file.tensors.size ||
    !order.every((k) => typeof k === 'string' && file.tensors.has(k))
  ) {
    throw new Error(`${fn}: metadata.order does not list the file's ${file.tensors.size} tensors`);
  }
  for (const key of order as string[]) {
    if (!key.startsWith('model.') && !key.startsWith('optimizer.'))
      throw new Error(`${fn}: tensor '${key}' is neither 'model.*' nor 'optimizer.*'`);
  }
  const scalars = (parseJsonField(fn, meta, 'optimizer_scalars') ?? {}) as Record<string, number>;
  const historyJson = parseJsonField(fn, meta, 'history') as HistoryJSON | undefined;
  const history = historyJson !== undefined ? History.fromJSON(historyJson) : undefined;
  const rngState = parseJsonField(fn, meta, 'rng_state');
  const extra = parseJsonField(fn, meta, 'extra') as Record<string, unknown> | undefined;

  // Everything is valid: now make the tensors (parseSafetensors' data are copies, so the file buffer is free).
  const model: Record<string, tf.Tensor> = {};
  const optimizer: OptimizerState = { ...scalars };
  for (const key of order as string[]) {
    const e = file.tensors.get(key)!;
    const t = tf.tensor(e.data, e.shape, tfDtypeOf(e.dtype));
    if (key.startsWith('model.')) model[key.slice('model.'.length)] = t;
    else optimizer[key.slice('optimizer.'.length)] = t;
  }
  return {
    epoch,
    model,
    optimizer,
    ...(history ? { history } : {}),
    ...(rngState !== undefined ? { rngState } : {}),
    ...(extra !== undefined ? { extra } : {}),
  };
}

/** Disposes every tensor of a parsed checkpoint (model and optimizer state). */
export function disposeCheckpoint(checkpoint: Pick<ParsedCheckpoint, 'model' | 'optimizer'>): void {
  tf.dispose(Object.values(checkpoint.model));
  tf.dispose(Object.values(checkpoint.optimizer).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
}
