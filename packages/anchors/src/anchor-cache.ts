/**
 * Validated anchors, cached per tensor data (internal). A training loop passes the same anchors tensor at
 * every step; its values are read, checked and indexed once. tfjs never changes the data behind a `dataId`
 * (a `Variable.assign` gives the variable a new one), so the cache is keyed weakly by `dataId`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { type AnchorIndex, indexAnchors } from './assign-anchor-to-bbox.js';
import { checkCornerValues, readFloat32 } from './validate.js';

interface Entry {
  data: Float32Array;
  index?: AnchorIndex;
}

const cache = new WeakMap<object, Entry>();

/** The anchors' values as float32, checked (finite, x2 ≥ x1, y2 ≥ y1) with errors naming `fn`. */
export function anchorData(fn: string, anchors: tf.Tensor, n: number): Float32Array {
  return entry(fn, anchors, n).data;
}

/** The anchors' index for `assignArrays`. */
export function anchorIndex(fn: string, anchors: tf.Tensor, n: number): AnchorIndex {
  const e = entry(fn, anchors, n);
  e.index ??= indexAnchors(e.data, n);
  return e.index;
}

function entry(fn: string, anchors: tf.Tensor, n: number): Entry {
  const key = (anchors as unknown as { dataId: object }).dataId;
  let e = cache.get(key);
  if (!e) {
    const data = readFloat32(anchors);
    const label = anchors.rank === 3 ? (i: number) => `anchors[0][${i}]` : (i: number) => `anchors[${i}]`;
    checkCornerValues(fn, 'anchors', data, n, label);
    e = { data };
    cache.set(key, e);
  }
  return e;
}
