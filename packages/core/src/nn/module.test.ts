import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../index.node.js';
import { expectNoLeaks } from '../testing/index.js';
import { BatchNorm2d } from './batch-norm2d.js';
import { Conv2d } from './conv2d.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';

beforeAll(() => initBackend('cpu', { log: false }));

/** Like torchvision's VGG: `features` and `classifier` Sequentials. */
class MiniVgg extends Module {
  features = this.registerModule(
    'features',
    new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new ReLU(), new BatchNorm2d(4)),
  );
  classifier = this.registerModule(
    'classifier',
    new Sequential(new Linear(4, 3), new ReLU(), new Dropout(0.5), new Linear(3, 2)),
  );
  scale = this.registerParameter('scale', tf.ones([2]));
  forward(x: tf.Tensor) {
    return tf.mul(this.classifier.apply(tf.mean(this.features.apply(x), [1, 2])), this.scale);
  }
}

describe('Module', () => {
  it("names parameters and buffers as PyTorch does, in PyTorch's order", () => {
    const m = new MiniVgg();
    expect(m.namedParameters().map(([k]) => k)).toEqual([
      'scale',
      'features.0.weight',
      'features.0.bias',
      'features.2.weight',
      'features.2.bias',
      'classifier.0.weight',
      'classifier.0.bias',
      'classifier.3.weight',
      'classifier.3.bias',
    ]);
    expect(m.namedBuffers().map(([k]) => k)).toEqual([
      'features.2.running_mean',
      'features.2.running_var',
      'features.2.num_batches_tracked',
    ]);
    expect(m.namedModules().map(([k]) => k)).toEqual([
      '',
      'features',
      'features.0',
      'features.1',
      'features.2',
      'classifier',
      'classifier.0',
      'classifier.1',
      'classifier.2',
      'classifier.3',
    ]);
    expect(m.namedParameters('model', false).map(([k]) => k)).toEqual(['model.scale']);
    expect(m.numParameters()).toBe(2 + 4 * 3 * 9 + 4 + 4 + 4 + 12 + 3 + 6 + 2);
    expect(m.getSubmodule('classifier.3')).toBe(m.classifier.at(3));
    expect(() => m.getSubmodule('classifier.9.x')).toThrow(
      /MiniVgg\.getSubmodule\('classifier\.9\.x'\): Sequential has no child '9'/,
    );
    m.dispose();
  });

  it('gives every variable a unique tfjs name, so two models coexist', () => {
    const a = new MiniVgg();
    const b = new MiniVgg();
    const names = [...a.parameters(), ...a.buffers(), ...b.parameters(), ...b.buffers()].map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toMatch(/^cv\.MiniVgg_\d+\/scale$/);
    for (const n of names) expect(tf.engine().registeredVariables[n]).toBeDefined();
    const x = tf.randomNormal([2, 5, 5, 3]);
    const ya = a.eval().apply(x);
    const yb = b.eval().apply(x);
    expect(ya.shape).toEqual([2, 2]);
    expect(yb.shape).toEqual([2, 2]);
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
    for (const n of names) expect(tf.engine().registeredVariables[n]).toBeUndefined();
  });

  it('takes ownership of registered tensors, adopts variables, and trains only parameters', () => {
    class M extends Module {
      forward(x: tf.Tensor) {
        return x;
      }
    }
    const m = new M();
    const t = tf.ones([3]);
    const p = m.registerParameter('p', t);
    expect(t.isDisposed).toBe(true);
    expect(p.trainable).toBe(true);
    const v = tf.variable(tf.zeros([2]), true, 'adopted-variable');
    expect(m.registerParameter('q', v)).toBe(v);
    const buf = m.registerBuffer('b', tf.zeros([1]), { persistent: false });
    expect(buf.trainable).toBe(false);
    expect(m.getParameter('p')).toBe(p);
    expect(m.getBuffer('b')).toBe(buf);
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(['p', 'q']); // non-persistent buffers are not saved
    tf.dispose(Object.values(sd));
    // Replacing a parameter disposes the old variable.
    m.registerParameter('p', tf.zeros([3]));
    expect(p.isDisposed).toBe(true);
    m.dispose();
    expect(v.isDisposed).toBe(true);
  });

  it('validates registration names', () => {
    class M extends Module {
      forward(x: tf.Tensor) {
        return x;
      }
    }
    const m = new M();
    expect(() => m.registerParameter('a.b', tf.zeros([1]))).toThrow(
      /M\.registerParameter: name 'a\.b' must be non-empty letters, digits or '_'/,
    );
    expect(() => m.registerParameter('', tf.zeros([1]))).toThrow(/name '' must be/);
    m.registerBuffer('x', tf.zeros([1]));
    expect(() => m.registerParameter('x', tf.zeros([1]))).toThrow(
      /'x' is already registered as another kind of entry/,
    );
    expect(() => m.registerModule('x', new ReLU())).toThrow(/'x' is already registered/);
    expect(() => m.registerModule('self', m)).toThrow(/a module cannot contain itself/);
    const gone = tf.zeros([1]);
    gone.dispose();
    expect(() => m.registerParameter('y', gone)).toThrow(
      /M\.registerParameter\('y'\): value must be a live tf\.Tensor/,
    );
    m.dispose();
  });

  it('propagates train()/eval() to every descendant', () => {
    const m = new MiniVgg();
    expect(m.modules().every((k) => k.training)).toBe(true);
    expect(m.eval()).toBe(m);
    expect(m.modules().every((k) => !k.training)).toBe(true);
    m.features.train();
    expect(m.training).toBe(false);
    expect(m.features.modules().every((k) => k.training)).toBe(true);
    expect(m.classifier.at(2)!.training).toBe(false);
    m.dispose();
  });

  it('counts shared variables and modules once, and disposes them once', async () => {
    await expectNoLeaks(
      () => {
        const shared = new Linear(2, 2);
        class Twin extends Module {
          a = this.registerModule('a', shared);
          b = this.registerModule('b', shared);
          forward(x: tf.Tensor) {
            return this.b.apply(this.a.apply(x));
          }
        }
        const m = new Twin();
        expect(m.parameters()).toHaveLength(2);
        expect(m.namedModules().map(([k]) => k)).toEqual(['', 'a']);
        const sd = m.stateDict(); // PyTorch's state_dict keeps both names
        expect(Object.keys(sd)).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
        tf.dispose(Object.values(sd));
        m.dispose();
        expect(shared.isDisposed).toBe(true);
      },
      { what: 'shared module lifecycle' },
    );
  });

  it('refuses to run after dispose and frees every tensor it made', async () => {
    await expectNoLeaks(
      () => {
        const m = new MiniVgg();
        m.dispose();
        expect(m.isDisposed).toBe(true);
        expect(m.features.at(0)!.isDisposed).toBe(true);
        const x = tf.zeros([1, 4, 4, 3]);
        expect(() => m.apply(x)).toThrow(/MiniVgg\.apply: the module was disposed/);
        x.dispose();
      },
      { what: 'construct + dispose' },
    );
  });

  it('replaces a child by name (fine-tuning a new head)', () => {
    const m = new MiniVgg();
    const old = m.classifier;
    const head = new Sequential(new Linear(4, 2));
    m.registerModule('classifier', head);
    expect(
      m
        .namedParameters()
        .map(([k]) => k)
        .filter((k) => k.startsWith('classifier')),
    ).toEqual(['classifier.0.weight', 'classifier.0.bias']);
    expect(old.isDisposed).toBe(false);
    old.dispose();
    m.dispose();
  });

  it("describes itself like PyTorch's repr", () => {
    const m = new Sequential(
      new Conv2d(3, 4, 3, { padding: 1, bias: false }),
      new Sequential(new ReLU(), new Dropout(0.2)),
    );
    expect(m.toString()).toBe(
      [
        'Sequential(',
        '  (0): Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)',
        '  (1): Sequential(',
        '    (0): ReLU()',
        '    (1): Dropout(p=0.2)',
        '  )',
        ')',
      ].join('\n'),
    );
    m.dispose();
  });
});
