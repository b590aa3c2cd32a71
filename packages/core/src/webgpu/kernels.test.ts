// Parity of @cv/core's WebGPU kernels with the CPU backend. On machines without a GPU the WGSL runs on a
// software WebGPU device (Dawn's OpenGL backend on Mesa llvmpipe, ./software-adapter.ts); where not even that
// exists, the tests check that initBackend('webgpu') fails with a clear error instead. The same kernels on a
// real GPU: bench/gpu/run.sh.
import { BackendUnavailableError, initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectNoLeaks } from '../testing/index.js';
import { CONV_CASES, type ConvCase, convFilterShape, convInfo, convName } from '../wasm/conv-cases.js';
import { attrs, flat, type HostTensor, host, toTensor } from '../wasm/parity-helpers.js';
import {
  columnSumPasses,
  originalWebgpuKernel,
  registerWebgpuKernels,
  restoreWebgpuKernels,
  WEBGPU_KERNELS,
  webgpuKernelsInUse,
} from './index.js';
import { installSoftwareWebgpu } from './software-adapter.js';

const software = await installSoftwareWebgpu();

async function runOn(backend: 'cpu' | 'webgpu', fn: () => tf.Tensor): Promise<HostTensor> {
  await tf.setBackend(backend);
  const y = tf.tidy(fn);
  const out = { shape: y.shape, values: (await y.data()) as Float32Array };
  y.dispose();
  return out;
}

async function onBoth(fn: () => tf.Tensor) {
  return { cpu: await runOn('cpu', fn), gpu: await runOn('webgpu', fn) };
}

const filterGrad = (c: ConvCase, x: HostTensor, dy: HostTensor) => () =>
  tf.engine().runKernel(
    'Conv2DBackpropFilter',
    { x: toTensor(x), dy: toTensor(dy) },
    attrs({
      strides: c.strides,
      pad: c.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: c.round,
      filterShape: convFilterShape(c),
    }),
  ) as tf.Tensor;

const inputGrad = (c: ConvCase, dy: HostTensor, w: HostTensor) => () =>
  tf.engine().runKernel(
    'Conv2DBackpropInput',
    { dy: toTensor(dy), filter: toTensor(w) },
    attrs({
      inputShape: c.x,
      strides: c.strides,
      pad: c.pad,
      dataFormat: 'NHWC',
      dimRoundingMode: c.round,
    }),
  ) as tf.Tensor;

// CI's machines have Mesa (the Debian image of this project's kind): there the kernels must be tested, so
// CV_REQUIRE_SOFTWARE_WEBGPU=1 (set by .ci/run) turns a missing software device into a failure.
if (!software.ok && process.env.CV_REQUIRE_SOFTWARE_WEBGPU === '1') {
  describe('WebGPU kernels', () => {
    it('need the software WebGPU device that CV_REQUIRE_SOFTWARE_WEBGPU=1 asks for', () => {
      throw new Error(
        `no software WebGPU device: ${software.reason} (apt-get install -y libegl-mesa0 libgl1-mesa-dri)`,
      );
    });
  });
} else if (!software.ok) {
  describe('WebGPU kernels without any WebGPU adapter', () => {
    it(`initBackend('webgpu') fails with the reason, never switches (${software.reason})`, async () => {
      await initBackend('cpu', { log: false });
      const err = await initBackend('webgpu', { log: false }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect(String(err)).toMatch(/^BackendUnavailableError: initBackend\('webgpu'\): .*(adapter|webgpu)/);
      expect(tf.getBackend()).toBe('cpu');
    });
  });
} else {
  describe(`WebGPU kernels on a software device (${software.adapter})`, () => {
    beforeAll(async () => {
      await initBackend('cpu', { log: false });
    });
    afterAll(() => {
      restoreWebgpuKernels();
      registerWebgpuKernels();
    });

    it("initBackend('webgpu') registers @cv/core's filter gradient and keeps the original", async () => {
      const info = await initBackend('webgpu', { log: false });
      expect(info.tfBackend).toBe('webgpu');
      expect(info.details.replacedKernels).toBe('Conv2DBackpropFilter');
      expect(webgpuKernelsInUse()).toEqual([...WEBGPU_KERNELS]);
      expect(originalWebgpuKernel('Conv2DBackpropFilter')?.kernelFunc).toBeTypeOf('function');
      expect(registerWebgpuKernels()).toEqual(['Conv2DBackpropFilter']); // idempotent
      expect(() => registerWebgpuKernels({ kernels: ['Conv3D'] })).toThrow(
        /registerWebgpuKernels: unknown kernel 'Conv3D'; expected some of Conv2DBackpropFilter, Conv2DBackpropInput, Sum, Mean/,
      );
    });

    // Dyadic inputs (parity-helpers): every sum is exact in float32 whatever the order, so the GPU's split-K
    // sums must equal the CPU backend's bit for bit.
    it.each(CONV_CASES.map((c, i) => [convName(c), c, i] as const))(
      'Conv2DBackpropFilter equals the CPU backend: %s',
      async (_, c, i) => {
        const x = host(c.x, 300 + i);
        const dy = host(convInfo(c).outShape, 400 + i);
        const { cpu, gpu } = await onBoth(filterGrad(c, x, dy));
        expect(gpu.shape).toEqual(convFilterShape(c));
        expectClose(flat(gpu), flat(cpu), { rtol: 0, atol: 0, what: convName(c) });
      },
    );

    it('Conv2DBackpropFilter over many splits and edge tiles (x [3,24,20,20], 3x3 → 40)', async () => {
      const c: ConvCase = { x: [3, 24, 20, 20], k: [3, 3], co: 40, strides: 1, pad: 'same' };
      const { cpu, gpu } = await onBoth(filterGrad(c, host(c.x, 1), host(convInfo(c).outShape, 2)));
      expectClose(flat(gpu), flat(cpu), { rtol: 0, atol: 0, what: 'many splits' });
      // Our programs ran (not the fallback): the backend compiled them.
      await tf.setBackend('webgpu');
      const keys = Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);
      expect(keys.some((k) => k.startsWith('cvFilterGradGemm_'))).toBe(true);
      expect(keys.some((k) => k.startsWith('cvColumnSum'))).toBe(true);
    });

    it('Conv2DBackpropInput (ours, at stride 1; the original elsewhere) equals the CPU backend', async () => {
      registerWebgpuKernels({ kernels: ['Conv2DBackpropInput'] });
      try {
        for (const [i, c] of CONV_CASES.entries()) {
          const dy = host(convInfo(c).outShape, 500 + i);
          const w = host(convFilterShape(c), 600 + i);
          const { cpu, gpu } = await onBoth(inputGrad(c, dy, w));
          expect(gpu.shape).toEqual(c.x);
          expectClose(flat(gpu), flat(cpu), { rtol: 0, atol: 0, what: convName(c) });
        }
      } finally {
        expect(restoreWebgpuKernels(['Conv2DBackpropInput'])).toEqual(['Conv2DBackpropInput']);
      }
    });

    it('Sum and Mean over leading axes (ours; the original for other axes) equal the CPU backend', async () => {
      expect(columnSumPasses(2 * 256 * 256 * 32, 16)).toEqual([4096, 256, 16, 1]);
      expect(columnSumPasses(10, 3)).toEqual([1]);
      registerWebgpuKernels({ kernels: ['Sum', 'Mean'] });
      try {
        const cases: [number[], number[], boolean][] = [
          [[2, 5, 6, 3], [0, 1, 2], false],
          [[2, 5, 6, 3], [0, 1, 2], true],
          [[7, 4], [0], false],
          [[3, 4, 5], [1, 0], true],
          [[64, 32, 32, 4], [0, 1, 2], false], // 262,144 rows: three passes
          [[2, 5, 6, 3], [1, 2], true], // not leading: the original kernel
          [[2, 5, 6, 3], [3], false],
          [[2, 5, 6, 3], [0, 1, 2, 3], false],
        ];
        for (const [i, [shape, axes, keepDims]] of cases.entries()) {
          // Dyadic values: exact sums in any order, so the GPU's must equal the CPU's bit for bit.
          const x = host(shape, 700 + i);
          for (const [op, reduce] of [
            ['sum', tf.sum],
            ['mean', tf.mean],
          ] as const) {
            const { cpu, gpu } = await onBoth(() => reduce(toTensor(x), axes, keepDims));
            expect(gpu.shape).toEqual(cpu.shape);
            // Sums of dyadic values are exact; a mean divides (rounding near zero, e.g. the original kernel's).
            expectClose(flat(gpu), flat(cpu), {
              rtol: 1e-6,
              atol: op === 'sum' ? 0 : 1e-6,
              what: `${op} [${shape}] axes [${axes}]`,
            });
          }
        }
        await tf.setBackend('webgpu');
        const keys = Object.keys((tf.backend() as unknown as { pipelineCache: object }).pipelineCache);
        expect(keys.some((k) => k.startsWith('cvColumnSum'))).toBe(true);
        const big = toTensor(host([64, 32, 32, 4], 9));
        await expectNoLeaks(async () => {
          const s = tf.sum(big, [0, 1, 2]);
          await s.data();
          s.dispose();
        });
        big.dispose();
      } finally {
        expect(restoreWebgpuKernels(['Sum', 'Mean'])).toEqual(['Sum', 'Mean']);
      }
    });

    it('a conv layer trains the same on webgpu as on cpu, without leaking tensors', async () => {
      const x = host([2, 9, 9, 3], 7);
      const w = host([3, 3, 3, 8], 8);
      const step = () =>
        tf.tidy(() => {
          const wt = toTensor(w);
          const g = tf.grad((f: tf.Tensor) =>
            tf
              .conv2d(toTensor(x) as tf.Tensor4D, f as tf.Tensor4D, 1, 'same')
              .square()
              .sum(),
          )(wt);
          return g;
        });
      const { cpu, gpu } = await onBoth(step);
      expectClose(flat(gpu), flat(cpu), { rtol: 1e-5, atol: 1e-4, what: 'dL/dW' });
      await tf.setBackend('webgpu');
      expectNoLeaks(() => step());
    });

    it('restoreWebgpuKernels puts the original back, and the original agrees', async () => {
      const c = CONV_CASES[1]!;
      const x = host(c.x, 9);
      const dy = host(convInfo(c).outShape, 10);
      const ours = await runOn('webgpu', filterGrad(c, x, dy));
      expect(restoreWebgpuKernels()).toEqual(['Conv2DBackpropFilter']);
      expect(webgpuKernelsInUse()).toEqual([]);
      expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')).toBe(
        originalWebgpuKernel('Conv2DBackpropFilter'),
      );
      const theirs = await runOn('webgpu', filterGrad(c, x, dy));
      expectClose(flat(ours), flat(theirs), { rtol: 0, atol: 0 });
      expect(registerWebgpuKernels()).toEqual(['Conv2DBackpropFilter']);
    });
  });
}
