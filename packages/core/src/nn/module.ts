import * as tf from '@tensorflow/tfjs-core';
import {
  entryShape,
  entryToTensor,
  type InvalidEntry,
  type LoadStateDictResult,
  type ShapeMismatch,
  type StateDict,
  type StateDictEntry,
  StateDictError,
  type StateDictInput,
  stateDictEntries,
} from './state-dict.js';
import { IDENTITY_LAYOUT, type TensorLayout } from './tensor-layout.js';

/** Any module, whatever its inputs and output. */
// biome-ignore lint/suspicious/noExplicitAny: a module of any signature (input types are contravariant).
export type AnyModule = Module<any[], any>;

export interface RegisterParameterOptions {
  /** How the tensor is stored relative to PyTorch's layout (default: the same). */
  layout?: TensorLayout;
}

export interface RegisterBufferOptions extends RegisterParameterOptions {
  /** Part of the state dict (PyTorch's `persistent`). Default true. */
  persistent?: boolean;
  /**
   * A strict `loadStateDict` accepts a state dict without this key and resets the buffer to zeros
   * (PyTorch's handling of `num_batches_tracked`, absent from pre-1.0 BatchNorm checkpoints such as
   * torchvision's ResNet weights). Default false.
   */
  optional?: boolean;
}

export interface LoadStateDictOptions {
  /**
   * Default true: a missing or unexpected key is an error. When false they are returned instead.
   * A shape mismatch or an unreadable entry is an error either way (as in PyTorch).
   */
  strict?: boolean;
}

interface Slot {
  variable: tf.Variable;
  layout: TensorLayout;
  persistent: boolean;
  optional: boolean;
}

/** A state-dict slot of a module tree: its full key and where it loads. */
interface KeyedSlot extends Slot {
  key: string;
}

let variableCounter = 0;

/** A tfjs variable name no live variable has: `cv.<Class>_<n>/<name>`. */
function uniqueVariableName(className: string, name: string): string {
  const registered = tf.engine().registeredVariables;
  let candidate: string;
  do {
    candidate = `cv.${className}_${++variableCounter}/${name}`;
  } while (registered[candidate] != null);
  return candidate;
}

const NAME = /^[A-Za-z0-9_]+$/;

/**
 * The base of every layer and model, shaped like PyTorch's `torch.nn.Module`.
 *
 * A module owns named parameters (trainable `tf.Variable`s), buffers (non-trainable `tf.Variable`s such as
 * BatchNorm's running statistics) and child modules, registered with `registerParameter`,
 * `registerBuffer` and `registerModule`. Full names join the registration names with dots, as PyTorch's
 * do (`features.0.weight`, `layer1.0.downsample.1.running_mean`), so a PyTorch/torchvision state dict
 * loads by name. Tensors are stored in tfjs's layout (NHWC activations, HWIO conv weights); each
 * registration names its `TensorLayout` so that `stateDict()` and `loadStateDict()` speak PyTorch's.
 *
 * Subclasses implement `forward`; callers use `apply`, which runs `forward` inside `tf.tidy` so that only
 * the output survives (PyTorch's `module(x)`; PyTorch's `module.apply(fn)` is `module.modules().forEach(fn)`). `train()`/`eval()` set `training` on the whole tree (Dropout and BatchNorm2d read
 * it). `dispose()` frees every parameter and buffer of the tree.
 *
 * @example
 * class Net extends Module {
 *   conv = this.registerModule('conv', new Conv2d(3, 8, 3, { padding: 1 }));
 *   fc = this.registerModule('fc', new Linear(8, 10));
 *   forward(x: tf.Tensor) {
 *     return this.fc.apply(tf.mean(this.conv.apply(x), [1, 2]));
 *   }
 * }
 */
export abstract class Module<I extends unknown[] = [tf.Tensor], O extends tf.TensorContainer = tf.Tensor> {
  /** Training mode (PyTorch's `training`); new modules start in training mode, as in PyTorch. */
  training = true;
  readonly #parameters = new Map<string, Slot>();
  readonly #buffers = new Map<string, Slot>();
  readonly #modules = new Map<string, AnyModule>();
  #disposed = false;

  /** The computation. Call modules with `apply`, which adds the `tf.tidy` scope. */
  abstract forward(...inputs: I): O;

  /** Runs `forward` inside `tf.tidy` (PyTorch's `module(x)`). */
  apply(...inputs: I): O {
    if (this.#disposed) throw new Error(`${this.constructor.name}.apply: the module was disposed`);
    return tf.tidy(() => this.forward(...inputs));
  }

  /**
   * Registers a trainable parameter under `name` and returns its variable. A `tf.Variable` is adopted as
   * is; any other tensor is copied into a new variable (with a unique tfjs name) and then disposed: the
   * module takes ownership. Registering an existing name again replaces (and disposes) the old variable.
   */
  registerParameter(name: string, value: tf.Tensor, options: RegisterParameterOptions = {}): tf.Variable {
    return this.#register(this.#parameters, 'registerParameter', name, value, true, {
      layout: options.layout ?? IDENTITY_LAYOUT,
      persistent: true,
      optional: false,
    });
  }

  /**
   * Registers a buffer: state that is not trained but is saved (BatchNorm's running statistics). Stored as a
   * non-trainable `tf.Variable` (so `tf.variableGrads` ignores it and `assign` updates it in place).
   * Ownership as for `registerParameter`.
   */
  registerBuffer(name: string, value: tf.Tensor, options: RegisterBufferOptions = {}): tf.Variable {
    return this.#register(this.#buffers, 'registerBuffer', name, value, false, {
      layout: options.layout ?? IDENTITY_LAYOUT,
      persistent: options.persistent ?? true,
      optional: options.optional ?? false,
    });
  }

  /**
   * Registers a child module under `name` (its entries get the prefix `name.`) and returns it. Registering
   * a name again replaces the child (PyTorch's `model.fc = nn.Linear(...)`); the old child is not disposed.
   */
  registerModule<M extends AnyModule>(name: string, child: M): M {
    this.#checkName('registerModule', name, this.#modules);
    if (!(child instanceof Module))
      throw new Error(`${this.constructor.name}.registerModule('${name}'): child is not a Module`);
    if (child === (this as AnyModule) || child.modules().includes(this as AnyModule)) {
      throw new Error(`${this.constructor.name}.registerModule('${name}'): a module cannot contain itself`);
    }
    this.#modules.set(name, child);
    return child;
  }

  #checkName(method: string, name: string, own: Map<string, unknown>): void {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new Error(
        `${this.constructor.name}.${method}: name '${String(name)}' must be non-empty letters, digits or '_' (no dots)`,
      );
    }
    for (const other of [this.#parameters, this.#buffers, this.#modules] as Map<string, unknown>[]) {
      if (other !== own && other.has(name)) {
        throw new Error(
          `${this.constructor.name}.${method}: '${name}' is already registered as another kind of entry`,
        );
      }
    }
  }

  #register(
    into: Map<string, Slot>,
    method: string,
    name: string,
    value: tf.Tensor,
    trainable: boolean,
    slot: Omit<Slot, 'variable'>,
  ): tf.Variable {
    this.#checkName(method, name, into);
    if (!(value instanceof tf.Tensor) || value.isDisposed) {
      throw new Error(`${this.constructor.name}.${method}('${name}'): value must be a live tf.Tensor`);
    }
    let variable: tf.Variable;
    if (value instanceof tf.Variable) {
      variable = value;
    } else {
      variable = tf.variable(value, trainable, uniqueVariableName(this.constructor.name, name));
      value.dispose();
    }
    const old = into.get(name);
    if (old && old.variable !== variable && !old.variable.isDisposed) old.variable.dispose();
    into.set(name, { ...slot, variable });
    return variable;
  }

  /** A registered parameter of this module (not of its children), or undefined. */
  getParameter(name: string): tf.Variable | undefined {
    return this.#parameters.get(name)?.variable;
  }

  /** A registered buffer of this module (not of its children), or undefined. */
  getBuffer(name: string): tf.Variable | undefined {
    return this.#buffers.get(name)?.variable;
  }

  /** The descendant at a dotted path (`'layer1.0.conv1'`; `''` is this module). Throws naming the missing part. */
  getSubmodule(path: string): AnyModule {
    let m: AnyModule = this as AnyModule;
    if (path === '') return m;
    for (const part of path.split('.')) {
      const next = m.#modules.get(part);
      if (!next)
        throw new Error(
          `${this.constructor.name}.getSubmodule('${path}'): ${m.constructor.name} has no child '${part}'`,
        );
      m = next;
    }
    return m;
  }

  /** Direct children with their names. */
  namedChildren(): Array<[string, AnyModule]> {
    return [...this.#modules.entries()];
  }

  children(): AnyModule[] {
    return [...this.#modules.values()];
  }

  /** This module and all descendants, depth first, each once (PyTorch's `named_modules`). */
  namedModules(prefix = ''): Array<[string, AnyModule]> {
    const out: Array<[string, AnyModule]> = [];
    const seen = new Set<AnyModule>();
    const visit = (m: AnyModule, p: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [name, child] of m.#modules) visit(child, p ? `${p}.${name}` : name);
    };
    visit(this as AnyModule, prefix);
    return out;
  }

  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Parameters with their full names, each variable once (PyTorch's `named_parameters`). With
   * `recurse = false`, only this module's own.
   */
  namedParameters(prefix = '', recurse = true): Array<[string, tf.Variable]> {
    return this.#named((m) => m.#parameters, prefix, recurse);
  }

  /** The trainable variables of the tree, e.g. for `tf.variableGrads(loss, model.parameters())`. */
  parameters(recurse = true): tf.Variable[] {
    return this.namedParameters('', recurse).map(([, v]) => v);
  }

  /** Buffers with their full names (persistent or not), each once. */
  namedBuffers(prefix = '', recurse = true): Array<[string, tf.Variable]> {
    return this.#named((m) => m.#buffers, prefix, recurse);
  }

  buffers(recurse = true): tf.Variable[] {
    return this.namedBuffers('', recurse).map(([, v]) => v);
  }

  #named(
    pick: (m: AnyModule) => Map<string, Slot>,
    prefix: string,
    recurse: boolean,
  ): Array<[string, tf.Variable]> {
    const mods: Array<[string, AnyModule]> = recurse
      ? this.namedModules(prefix)
      : [[prefix, this as AnyModule]];
    const out: Array<[string, tf.Variable]> = [];
    const seen = new Set<tf.Variable>();
    for (const [p, m] of mods) {
      for (const [name, slot] of pick(m)) {
        if (seen.has(slot.variable)) continue;
        seen.add(slot.variable);
        out.push([p ? `${p}.${name}` : name, slot.variable]);
      }
    }
    return out;
  }

  /** The total number of parameter elements (each shared variable once). */
  numParameters(): number {
    return this.parameters().reduce((n, v) => n + v.size, 0);
  }

  /** Sets training mode on this module and all descendants (PyTorch's `train(mode)`). Returns this. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. Returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Every state-dict slot in PyTorch's order: own parameters, own persistent buffers, then children's. */
  #slots(prefix: string, out: KeyedSlot[] = []): KeyedSlot[] {
    for (const [name, slot] of this.#parameters) out.push({ ...slot, key: prefix + name });
    for (const [name, slot] of this.#buffers) if (slot.persistent) out.push({ ...slot, key: prefix + name });
    for (const [name, child] of this.#modules) child.#slots(`${prefix}${name}.`, out);
    return out;
  }

  /**
   * The module's state in PyTorch's names, order and layouts (conv weights OIHW, Linear weights
   * `[out, in]`): new tensors that the caller owns.
   */
  stateDict(): StateDict {
    const slots = this.#slots('');
    return tf.tidy(() => {
      const dict: StateDict = {};
      for (const s of slots) dict[s.key] = s.layout.toTorch(s.variable);
      return dict;
    });
  }

  /**
   * Loads a state dict in PyTorch's names and layouts (e.g. a converted torchvision checkpoint), converting
   * each entry to the stored layout (OIHW→HWIO) and dtype. Every problem (missing key, unexpected key,
   * shape mismatch, unreadable entry) is collected and reported in one `StateDictError`; then nothing is
   * loaded. The caller keeps ownership of the dict's tensors.
   *
   * @returns the missing and unexpected keys (empty when `strict`, PyTorch's `_IncompatibleKeys`).
   */
  loadStateDict(dict: StateDictInput, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries = new Map(stateDictEntries(dict));
    const slots = this.#slots('');
    const expected = new Set(slots.map((s) => s.key));
    const missingKeys: string[] = [];
    const shapeMismatches: ShapeMismatch[] = [];
    const invalidEntries: InvalidEntry[] = [];
    const plan: Array<{ slot: KeyedSlot; entry: StateDictEntry | null }> = [];
    for (const slot of slots) {
      const entry = entries.get(slot.key);
      if (entry === undefined) {
        if (slot.optional) plan.push({ slot, entry: null });
        else missingKeys.push(slot.key);
        continue;
      }
      const info = entryShape(entry);
      if ('reason' in info) {
        invalidEntries.push({ key: slot.key, reason: info.reason });
        continue;
      }
      const want = slot.layout.torchShape(slot.variable.shape);
      if (info.shape.length !== want.length || info.shape.some((d, i) => d !== want[i])) {
        shapeMismatches.push({ key: slot.key, got: info.shape, expected: want });
        continue;
      }
      plan.push({ slot, entry });
    }
    const unexpectedKeys = [...entries.keys()].filter((k) => !expected.has(k));
    if (
      shapeMismatches.length ||
      invalidEntries.length ||
      (strict && (missingKeys.length || unexpectedKeys.length))
    ) {
      throw new StateDictError(
        this.constructor.name,
        strict ? missingKeys : [],
        strict ? unexpectedKeys : [],
        shapeMismatches,
        invalidEntries,
      );
    }
    tf.tidy(() => {
      // Convert everything first: a failure here leaves every variable as it was.
      const values = plan.map(({ slot, entry }) =>
        entry === null
          ? tf.zeros(slot.variable.shape, slot.variable.dtype)
          : tf.tidy(() => {
              const t = entryToTensor(entry, slot.variable.dtype);
              return slot.layout.fromTorch(t);
            }),
      );
      plan.forEach(({ slot }, i) => {
        slot.variable.assign(values[i]!);
      });
    });
    return { missingKeys, unexpectedKeys };
  }

  /** True after `dispose()`. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Disposes every parameter and buffer of this module and its descendants (each once). */
  dispose(): void {
    for (const m of this.modules()) {
      m.#disposed = true;
      for (const slot of [...m.#parameters.values(), ...m.#buffers.values()]) {
        if (!slot.variable.isDisposed) slot.variable.dispose();
      }
    }
  }

  /** The constructor arguments shown by `toString()` (PyTorch's `extra_repr`). */
  extraRepr(): string {
    return '';
  }

  /** PyTorch-style description of the tree, e.g. `Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3, 3), …)\n)`. */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (this.#modules.size === 0) return `${head})`;
    const lines = [...this.#modules].map(
      ([name, child]) => `  (${name}): ${child.toString().replace(/\n/g, '\n  ')}`,
    );
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
