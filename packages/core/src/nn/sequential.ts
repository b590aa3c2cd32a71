import type * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';

/** A module that maps one tensor to one tensor: what a Sequential holds. */
export type TensorModule = Module<[tf.Tensor], tf.Tensor>;

/**
 * PyTorch's `torch.nn.Sequential`: applies its children in order. Children are named `'0'`, `'1'`, …
 * (so state-dict keys read `features.0.weight`), or by the keys of an object given to the constructor
 * (in the object's key order).
 *
 * @example
 * const features = new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2));
 */
export class Sequential extends Module {
  readonly #layers: TensorModule[] = [];

  constructor(...modules: TensorModule[] | [Record<string, TensorModule>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first && !(first instanceof Module)) {
      for (const [name, m] of Object.entries(first as Record<string, TensorModule>)) this.#add(name, m);
    } else {
      for (const m of modules as TensorModule[]) this.append(m);
    }
  }

  #add(name: string, m: TensorModule): void {
    if (!(m instanceof Module)) throw new Error(`Sequential: entry '${name}' is not a Module`);
    this.registerModule(name, m);
    this.#layers.push(m);
  }

  /** Adds a module at the end, named by its index. Returns this. */
  append(module: TensorModule): this {
    this.#add(String(this.#layers.length), module);
    return this;
  }

  get length(): number {
    return this.#layers.length;
  }

  /** The module at `index` (negative counts from the end), or undefined. */
  at(index: number): TensorModule | undefined {
    return this.#layers.at(index);
  }

  [Symbol.iterator](): Iterator<TensorModule> {
    return this.#layers[Symbol.iterator]();
  }

  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    for (const m of this.#layers) y = m.apply(y);
    return y;
  }
}
