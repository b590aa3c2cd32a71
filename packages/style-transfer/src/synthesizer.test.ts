import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { initBackend } from '@cv/core';
import { expectClose, expectNoLeaks, testBackends } from '@cv/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FirstPasses, firstPasses } from '../fixtures/deterministic-vgg.mjs';
import { computeLoss, type StyleTransferLosses } from './compute-loss.js';
import { extractFeatures } from './extract-features.js';
import * as st from './index.js';
import { type StepLosses, Synthesizer } from './synthesizer.js';
import { deterministicVgg, fixture, fixtureImages } from './test-utils.js';
import type { Vgg19 } from './vgg19.js';

const RTOL = 1e-4;

/** One step under a leak check. */
async function stepChecked(
  synth: Synthesizer,
  options: { keep?: number; what?: string },
): Promise<StepLosses> {
  const r = await expectNoLeaks(() => ({ ...synth.step() }) as unknown as tf.TensorContainer, options);
  return r as unknown as StepLosses;
}

for (const backend of await testBackends()) {
  describe(`style transfer against PyTorch (${backend})`, () => {
    let net: Vgg19;
    let images: ReturnType<typeof fixtureImages>;
    beforeAll(async () => {
      await initBackend(backend, { log: false });
      net = deterministicVgg(28);
      images = fixtureImages();
    });
    afterAll(() => {
      net.dispose();
      tf.dispose([images.content, images.style]);
    });

    it("computeLoss gives d2l's weighted losses for an image after one step", async () => {
      const f = fixture();
      const [h, w] = f.size;
      const x = tf.tensor4d(f.imageAfter1, [1, h, w, 3]);
      const c = extractFeatures(net, images.content, f.contentLayers, f.styleLayers);
      const s = extractFeatures(net, images.style, f.contentLayers, f.styleLayers);
      const grams = s.styles.map((y) =>
        tf.tidy(() =>
          tf.div(tf.matMul(tf.reshape(y, [-1, y.shape[3]]), tf.reshape(y, [-1, y.shape[3]]), true), y.size),
        ),
      );
      try {
        const feats = extractFeatures(net, x, f.contentLayers, f.styleLayers);
        const l = (await expectNoLeaks(
          () => computeLoss(x, feats, c.contents, grams) as unknown as tf.TensorContainer,
        )) as unknown as StyleTransferLosses;
        tf.dispose([...feats.contents, ...feats.styles]);
        const want = f.steps[1]!;
        expectClose(await Promise.all(l.contents.map((t) => t.data().then((d) => d[0]!))), want.contents, {
          rtol: RTOL,
          what: 'content losses',
        });
        expectClose(await Promise.all(l.styles.map((t) => t.data().then((d) => d[0]!))), want.styles, {
          rtol: RTOL,
          what: 'style losses',
        });
        expectClose(l.tv, want.tv, { rtol: RTOL, what: 'tv loss' });
        expectClose(l.total, want.total, { rtol: RTOL, what: 'total loss' });
        tf.dispose([...l.contents, ...l.styles, l.tv, l.total]);
      } finally {
        tf.dispose([x, ...c.contents, ...c.styles, ...s.contents, ...s.styles, ...grams]);
      }
    });

    it("three steps match d2l's training loop (losses, the gradient, Adam's first update)", async () => {
      const f = fixture();
      // The gradient of the total loss at the content image (image only), then the first Adam step. On the CPU
      // backend (plain JavaScript, 15–60 s a pass) they run in a child process on the built package, so the test
      // worker stays responsive; the assertions are the same.
      const synth =
        backend === 'cpu'
          ? undefined
          : new Synthesizer(net, images.content, images.style, {
              contentLayers: f.contentLayers,
              styleLayers: f.styleLayers,
              lossWeights: f.lossWeights,
              lr: f.lr,
            });
      try {
        let passes: FirstPasses;
        if (synth === undefined) {
          const script = fileURLToPath(new URL('../fixtures/synthesizer-parity.mjs', import.meta.url));
          const { stdout } = await promisify(execFile)(process.execPath, [script, 'cpu'], {
            maxBuffer: 1 << 26,
          });
          passes = JSON.parse(stdout) as FirstPasses;
        } else {
          passes = await firstPasses(tf, st, net, synth, f);
        }
        expect(passes.gradLeaked, 'tensors left by the gradient pass').toBe(0);
        expect(passes.stepLeaked, 'tensors left by the first step beyond Adam state').toBe(0);
        const gScale = Math.max(...passes.grad.map(Math.abs));
        expectClose(passes.grad, f.grad0, { rtol: RTOL, atol: RTOL * gScale, what: 'gradient at step 1' });

        const first = passes.first;
        const want0 = f.steps[0]!;
        expect(first.step).toBe(1);
        expect(first.lr).toBe(0.3);
        expectClose(
          first.content,
          want0.contents.reduce((a, b) => a + b),
          { atol: 1e-7, what: 'step 1 content' },
        );
        expectClose(
          first.style,
          want0.styles.reduce((a, b) => a + b),
          { rtol: RTOL, what: 'step 1 style' },
        );
        expectClose(first.tv, want0.tv, { rtol: RTOL, what: 'step 1 tv' });
        expectClose(first.total, want0.total, { rtol: RTOL, what: 'step 1 total' });
        // Adam's first step moves each pixel by about lr·sign(gradient): the image after it.
        expectClose(passes.imageAfter1, f.imageAfter1, {
          rtol: RTOL,
          atol: RTOL,
          what: 'image after one Adam step',
        });

        // Two more steps (the trajectory), on the fast backends; the CPU backend checks the first.
        for (const want of synth === undefined ? [] : f.steps.slice(1)) {
          const got = await stepChecked(synth!, { what: 'a later step' });
          expectClose(
            got.content,
            want.contents.reduce((a, b) => a + b),
            { rtol: 1e-3, what: `step ${got.step} content` },
          );
          expectClose(
            got.style,
            want.styles.reduce((a, b) => a + b),
            { rtol: RTOL, what: `step ${got.step} style` },
          );
          expectClose(got.tv, want.tv, { rtol: RTOL, what: `step ${got.step} tv` });
          expectClose(got.total, want.total, { rtol: RTOL, what: `step ${got.step} total` });
        }
      } finally {
        synth?.dispose();
      }
    });

    it('a step differentiates with respect to the image only: no filter gradients', async () => {
      const small = tf.tidy(() => tf.slice(images.content, [0, 0, 0, 0], [1, 16, 16, 3]));
      const synth = new Synthesizer(net, small, small, { styleLayers: [0, 5], contentLayers: [7] });
      try {
        const { kernelNames: kernels } = await tf.profile(() => {
          synth.step();
        });
        // Forward: fused conv(+bias+ReLU); backward: a conv with the flipped filter, never a filter gradient.
        expect(kernels).toContain('FusedConv2D');
        expect(kernels).toContain('Conv2D');
        expect(kernels).not.toContain('Conv2DBackpropFilter');
        expect(kernels).not.toContain('Conv2DBackpropInput');
        // The network's weights are not changed by a step.
        const before = net.layer(0).getParameter('weight')!.dataSync().slice(0, 8);
        synth.step();
        expect(net.layer(0).getParameter('weight')!.dataSync().slice(0, 8)).toEqual(before);
      } finally {
        synth.dispose();
        small.dispose();
      }
    });

    it('stepAsync takes the same step as step, reading the losses with an awaited read', async () => {
      const small = tf.tidy(() => tf.slice(images.content, [0, 0, 0, 0], [1, 16, 16, 3]));
      const opts = { styleLayers: [0, 5], contentLayers: [7] };
      const a = new Synthesizer(net, small, small, opts);
      const b = new Synthesizer(net, small, small, opts);
      try {
        for (let i = 0; i < 2; i++) {
          const want = a.step();
          const got = await expectNoLeaks(
            async () => ({ ...(await b.stepAsync()) }) as unknown as tf.TensorContainer,
            {
              keep: i === 0 ? 2 : 0,
            },
          );
          expect(got).toEqual(want);
        }
        expectClose(b.image.dataSync(), a.image.dataSync(), {
          rtol: 0,
          atol: 0,
          what: 'images after 2 steps',
        });
      } finally {
        a.dispose();
        b.dispose();
        small.dispose();
      }
    });

    it('the StepLR schedule decays the lr by 0.8 every lrDecayEvery steps', () => {
      const small = tf.tidy(() => tf.slice(images.content, [0, 0, 0, 0], [1, 8, 8, 3]));
      const synth = new Synthesizer(net, small, small, {
        styleLayers: [0],
        contentLayers: [2],
        lrDecayEvery: 2,
      });
      try {
        const lrs = Array.from({ length: 5 }, () => synth.step().lr);
        expectClose(lrs, [0.3, 0.3, 0.24, 0.24, 0.192], { rtol: 1e-12 });
      } finally {
        synth.dispose();
        small.dispose();
      }
      expect(() => new Synthesizer(net, tf.zeros([8, 8, 3]), small)).toThrow(
        /Synthesizer: content must be a preprocessed float32 image \[1, H, W, 3\]/,
      );
    });
  });
}
