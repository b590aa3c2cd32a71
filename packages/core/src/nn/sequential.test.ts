import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { Linear } from './linear.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';

beforeAll(() => initBackend('cpu', { log: false }));

describe('Sequential', () => {
  it('applies its children in order, named 0, 1, … like PyTorch', () => {
    const a = new Linear(3, 2);
    const b = new ReLU();
    const seq = new Sequential(a, b);
    expect(seq.namedChildren().map(([k]) => k)).toEqual(['0', '1']);
    expect(seq.length).toBe(2);
    expect(seq.at(-1)).toBe(b);
    expect([...seq]).toEqual([a, b]);
    const x = tf.tensor2d([
      [1, -2, 3],
      [0.5, 0, -1],
    ]);
    const y = seq.apply(x);
    tf.tidy(() => expectClose(y, tf.relu(tf.add(tf.matMul(x, a.weight), a.bias!))));
    tf.dispose([x, y]);
    seq.dispose();
  });

  it('takes named children from an object, and appends', () => {
    const seq = new Sequential({ fc: new Linear(2, 2), act: new ReLU() });
    seq.append(new Linear(2, 1));
    const sd = seq.stateDict();
    expect(Object.keys(sd)).toEqual(['fc.weight', 'fc.bias', '2.weight', '2.bias']);
    tf.dispose(Object.values(sd));
    expect(() => new Sequential({ bad: {} as never })).toThrow(/Sequential: entry 'bad' is not a Module/);
    seq.dispose();
  });

  it('leaks nothing in forward and in a variableGrads step', async () => {
    const seq = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 1));
    const x = tf.randomNormal([5, 4]);
    await expectNoLeaks(() => seq.apply(x).dispose(), { what: 'Sequential forward' });
    await expectNoLeaks(
      () => {
        const { value, grads } = tf.variableGrads(() => tf.sum(seq.apply(x)) as tf.Scalar, seq.parameters());
        expect(Object.keys(grads)).toHaveLength(4);
        tf.dispose([value, ...Object.values(grads)]);
      },
      { what: 'Sequential variableGrads' },
    );
    x.dispose();
    seq.dispose();
  });
});
