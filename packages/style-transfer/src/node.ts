/**
 * @cv/style-transfer for Node.js: weights from files or URLs (cached downloads), and `styleTransfer`, the
 * whole d2l run with a terminal progress bar, a loss plot, snapshots and the result PNG.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  type FetchWeightsOptions,
  History,
  ProgressBar,
  type ProgressBarOptions,
  ProgressReporter,
  readImage,
  readWeights,
  saveHistoryPlot,
  writeImage,
} from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LossWeights } from './compute-loss.js';
import { DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, deepestLayer } from './extract-features.js';
import { checkSize, preprocess } from './preprocess.js';
import { type StepLosses, Synthesizer } from './synthesizer.js';
import { Vgg19 } from './vgg19.js';
import {
  type LoadVgg19WeightsOptions,
  type LoadVgg19WeightsResult,
  loadVgg19Weights,
  type Vgg19Checkpoint,
} from './vgg19-weights.js';

/** timm's copy of torchvision's ImageNet VGG-19 weights as safetensors (548 MB), for `weights`. */
export const VGG19_TIMM_URL = 'https://huggingface.co/timm/vgg19.tv_in1k/resolve/main/model.safetensors';

/**
 * Loads VGG-19 weights from a safetensors file path, a `file:` URL or an http(s) URL (downloaded once into
 * `~/.cache/cv-js/weights`, with a progress bar on a terminal; see `fetchWeights`), in torchvision's or timm's
 * `vgg19.tv_in1k` names (see `loadVgg19Weights`).
 */
export async function loadVgg19WeightsFrom(
  net: Vgg19,
  source: string | URL,
  options: LoadVgg19WeightsOptions & FetchWeightsOptions = {},
): Promise<LoadVgg19WeightsResult> {
  const { prefix, ...fetchOptions } = options;
  let parsed: Awaited<ReturnType<typeof readWeights>>;
  try {
    parsed = await readWeights(source, fetchOptions);
  } catch (err) {
    throw new Error(`loadVgg19WeightsFrom(${String(source)}): ${(err as Error).message}`, { cause: err });
  }
  return loadVgg19Weights(net, parsed, prefix === undefined ? {} : { prefix });
}

export interface StyleTransferOptions {
  /** The content image: a file path (PNG, JPEG, …) or an `[H, W, 3]` tensor (int32 bytes or float32 in [0, 1]). */
  content: string | tf.Tensor;
  /** The style image, the same kinds. */
  style: string | tf.Tensor;
  /**
   * VGG-19 weights: a safetensors file path or URL (torchvision or timm names, e.g. {@link VGG19_TIMM_URL}), or a
   * parsed checkpoint. Without weights (and without `net`) the run uses random weights and says so.
   */
  weights?: string | URL | Vgg19Checkpoint;
  /** A network to use as it is (built up to at least the deepest layer used); `weights` are loaded into it if given. */
  net?: Vgg19;
  /** Optimisation steps. Default 500 (d2l). */
  steps?: number;
  /** `[height, width]` of the synthesized image (and of the content image). Default [300, 450] (d2l). */
  size?: [number, number];
  /** `[height, width]` the style image is resized to. Default: `size` (d2l). */
  styleSize?: [number, number];
  contentLayers?: readonly number[];
  styleLayers?: readonly number[];
  /** Default content 1, style 1e4, TV 10. */
  lossWeights?: LossWeights;
  /** Adam's lr. Default 0.3. */
  lr?: number;
  /** StepLR step size. Default 50. */
  lrDecayEvery?: number;
  /** StepLR factor. Default 0.8. */
  lrDecay?: number;
  /** Seed of the random weights (when no weights are given). */
  seed?: number;
  /** Folder for the outputs (result PNG, loss plot, snapshots). Default: none (nothing is written). */
  outDir?: string;
  /** The result's file name in `outDir`. Default 'result.png'. */
  resultFile?: string;
  /** The loss plot's file name in `outDir` (.png or .svg). Default 'loss.png'; null for none. */
  plotFile?: string | null;
  /** Write `snapshot-<step>.png` into `outDir` every this many steps (0: never). Default 0. */
  snapshotsEvery?: number;
  /** Record the losses in the history (and the plot) every this many steps, and at the last step. Default 10 (d2l). */
  historyEvery?: number;
  /** Called after every step with its losses and the synthesizer (e.g. `s.result()` for a live preview). */
  onStep?: (losses: StepLosses, synthesizer: Synthesizer) => void | Promise<void>;
  /** The terminal progress bar: true (default), false, or its options. */
  progress?: boolean | ProgressBarOptions;
  /** Where messages go (the random-weights notice, the files written). Default `console.log`; false: silent. */
  log?: ((line: string) => void) | false;
  /** What the random-weights notice tells the user to pass. Default: the `weights` option. */
  weightsHint?: string;
}

export interface StyleTransferResult {
  /** The synthesized image `[H, W, 3]`, float32 in [0, 1] (caller owns it). */
  image: tf.Tensor3D;
  /** The losses every `historyEvery` steps: `{ epoch: step, content, style, TV }`. */
  history: History;
  /** The losses of the last step. */
  last: StepLosses | undefined;
  /** 'random', or the checkpoint's naming. */
  weights: 'random' | 'torchvision' | 'timm' | 'given net';
  /** Files written (absolute paths). */
  files: { result?: string; plot?: string; snapshots: string[] };
  /** Seconds of the optimisation loop, and per step. */
  seconds: number;
  secondsPerStep: number;
}

async function imageOf(fn: string, name: string, v: string | tf.Tensor): Promise<tf.Tensor3D> {
  if (typeof v === 'string') return readImage(v);
  if (v instanceof tf.Tensor) return tf.clone(v) as tf.Tensor3D;
  throw new Error(`${fn}: options.${name} must be a file path or an image tensor [H, W, 3], got ${typeof v}`);
}

function checkCount(fn: string, name: string, v: unknown, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min)
    throw new Error(`${fn}: options.${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return v as number;
}

/**
 * d2l's neural style transfer, end to end: reads and preprocesses the images (resized to `size`), builds VGG-19
 * up to the deepest layer used and loads `weights` (or announces random weights), then runs `steps` steps of
 * {@link Synthesizer} (Adam lr 0.3, StepLR ×0.8 every 50 steps, losses weighted 1 / 1e4 / 10) with a progress
 * bar showing the content, style and TV losses, records them every `historyEvery` steps, writes snapshots every
 * `snapshotsEvery` steps, and finally the result PNG and the loss plot into `outDir`.
 */
export async function styleTransfer(options: StyleTransferOptions): Promise<StyleTransferResult> {
  const fn = 'styleTransfer';
  if (!options || typeof options !== 'object')
    throw new TypeError(`${fn}: options { content, style } are required`);
  const steps = checkCount(fn, 'steps', options.steps ?? 500, 1);
  const size = options.size ?? [300, 450];
  checkSize(fn, 'options.size', size);
  const styleSize = options.styleSize ?? size;
  checkSize(fn, 'options.styleSize', styleSize);
  const snapshotsEvery = checkCount(fn, 'snapshotsEvery', options.snapshotsEvery ?? 0, 0);
  const historyEvery = checkCount(fn, 'historyEvery', options.historyEvery ?? 10, 1);
  if (snapshotsEvery > 0 && !options.outDir)
    throw new Error(`${fn}: options.snapshotsEvery needs options.outDir`);
  const log = options.log === false ? () => {} : (options.log ?? ((line: string) => console.log(line)));
  const contentLayers = options.contentLayers ?? DEFAULT_CONTENT_LAYERS;
  const styleLayers = options.styleLayers ?? DEFAULT_STYLE_LAYERS;
  const outDir = options.outDir ? path.resolve(options.outDir) : undefined;

  const ownNet = !options.net;
  const net =
    options.net ?? new Vgg19({ lastLayer: deepestLayer(contentLayers, styleLayers), seed: options.seed });
  let synth: Synthesizer | undefined;
  let bar: ProgressBar | undefined;
  try {
    let weights: StyleTransferResult['weights'] = options.net ? 'given net' : 'random';
    if (options.weights !== undefined) {
      const loaded =
        typeof options.weights === 'string' || options.weights instanceof URL
          ? await loadVgg19WeightsFrom(net, options.weights)
          : loadVgg19Weights(net, options.weights);
      weights = loaded.format;
      log(`${fn}: loaded ${loaded.loaded.length} VGG-19 tensors (${loaded.format} names)`);
    } else if (!options.net) {
      log(
        `${fn}: NO WEIGHTS GIVEN: running on RANDOM VGG-19 weights, so the result will not look like the style.\n` +
          `  For ImageNet weights pass ${options.weightsHint ?? 'options.weights'}: a safetensors file or URL in torchvision's or timm's names,\n` +
          `  e.g. ${VGG19_TIMM_URL}`,
      );
    }

    const [contentX, styleX] = await (async () => {
      const c = await imageOf(fn, 'content', options.content);
      const s = await imageOf(fn, 'style', options.style).catch((e) => {
        c.dispose();
        throw e;
      });
      try {
        return [preprocess(c, size), preprocess(s, styleSize)] as const;
      } finally {
        tf.dispose([c, s]);
      }
    })();
    try {
      synth = new Synthesizer(net, contentX, styleX, {
        contentLayers,
        styleLayers,
        lossWeights: options.lossWeights,
        lr: options.lr,
        lrDecayEvery: options.lrDecayEvery,
        lrDecay: options.lrDecay,
      });
    } finally {
      tf.dispose([contentX, styleX]);
    }

    const files: StyleTransferResult['files'] = { snapshots: [] };
    if (outDir) await mkdir(outDir, { recursive: true });
    const progress = options.progress ?? true;
    bar = progress === false ? undefined : new ProgressBar(progress === true ? {} : progress);
    const reporter = new ProgressReporter(bar?.callback, { epochs: 1 });
    const history = new History();
    let last: StepLosses | undefined;
    const begin = performance.now();
    reporter.startEpoch(1, steps);
    for (let i = 1; i <= steps; i++) {
      last = await synth.stepAsync();
      const metrics = { content: last.content, style: last.style, TV: last.tv };
      reporter.step(1, metrics);
      if (i % historyEvery === 0 || i === steps) history.record(i, metrics);
      if (snapshotsEvery > 0 && i % snapshotsEvery === 0 && outDir) {
        const file = path.join(outDir, `snapshot-${String(i).padStart(String(steps).length, '0')}.png`);
        const img = synth.result();
        try {
          await writeImage(file, img);
        } finally {
          img.dispose();
        }
        files.snapshots.push(file);
      }
      await options.onStep?.(last, synth);
    }
    const seconds = (performance.now() - begin) / 1000;
    reporter.endEpoch({ content: last!.content, style: last!.style, TV: last!.tv });
    bar?.stop();
    const image = synth.result();
    if (outDir) {
      files.result = path.join(outDir, options.resultFile ?? 'result.png');
      await writeImage(files.result, image);
      const plotFile = options.plotFile === undefined ? 'loss.png' : options.plotFile;
      if (plotFile) {
        files.plot = path.join(outDir, plotFile);
        await saveHistoryPlot(files.plot, history, {
          xLabel: 'epoch',
          yLabel: 'loss',
          title: `style transfer (${weights} weights)`,
          // d2l's xlim=[10, num_epochs]: from the first recorded step to the last.
          xLimits: history.length > 1 ? [history.records[0]!.epoch, steps] : undefined,
        });
      }
      log(
        `${fn}: wrote ${[files.result, files.plot].filter(Boolean).join(', ')}${files.snapshots.length ? ` and ${files.snapshots.length} snapshots` : ''}`,
      );
    }
    return { image, history, last, weights, files, seconds, secondsPerStep: seconds / steps };
  } finally {
    bar?.stop();
    synth?.dispose();
    if (ownNet) net.dispose();
  }
}
