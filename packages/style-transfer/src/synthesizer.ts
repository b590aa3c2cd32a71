import { Adam, StepLR } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { computeLoss, type LossWeights, resolveWeights } from './compute-loss.js';
import {
  DEFAULT_CONTENT_LAYERS,
  DEFAULT_STYLE_LAYERS,
  deepestLayer,
  extractFeatures,
} from './extract-features.js';
import { FrozenVgg19 } from './frozen-vgg.js';
import { gram } from './gram.js';
import { postprocess } from './preprocess.js';
import type { Vgg19 } from './vgg19.js';

export interface SynthesizerOptions {
  /** Content layers (torchvision `features` indices). Default `[25]` (d2l). */
  contentLayers?: readonly number[];
  /** Style layers. Default `[0, 5, 10, 19, 28]` (d2l). */
  styleLayers?: readonly number[];
  /** Loss weights. Default content 1, style 1e4, TV 10 (d2l). */
  lossWeights?: LossWeights;
  /** Adam's learning rate. Default 0.3 (d2l). */
  lr?: number;
  /** StepLR: decay the lr every this many steps. Default 50 (d2l's `lr_decay_epoch`). */
  lrDecayEvery?: number;
  /** StepLR's factor. Default 0.8 (d2l). */
  lrDecay?: number;
  /** See `ExtractFeaturesOptions.inplaceRelu`. Default true (what d2l's PyTorch code computes). */
  inplaceRelu?: boolean;
}

/** The losses of one step (computed before the step's update, as d2l reports them), as numbers. */
export interface StepLosses {
  /** 1-based step number. */
  step: number;
  /** Sum of the weighted content losses. */
  content: number;
  /** Sum of the weighted style losses. */
  style: number;
  /** The weighted total variation loss. */
  tv: number;
  /** content + style + tv. */
  total: number;
  /** The learning rate the step used. */
  lr: number;
}

function checkImage(fn: string, name: string, x: unknown): asserts x is tf.Tensor4D {
  if (
    !(x instanceof tf.Tensor) ||
    x.rank !== 4 ||
    x.shape[0] !== 1 ||
    x.shape[3] !== 3 ||
    x.dtype !== 'float32'
  ) {
    throw new Error(
      `${fn}: ${name} must be a preprocessed float32 image [1, H, W, 3] (see preprocess), got ${
        x instanceof tf.Tensor ? `${x.dtype} shape [${x.shape}]` : typeof x
      }`,
    );
  }
}

/**
 * d2l's style transfer training state (`get_inits` + `train`): the synthesized image is the only trained
 * variable, initialised from the content image (d2l's `SynthesizedImage`), updated by Adam (lr 0.3) with a
 * StepLR schedule (×0.8 every 50 steps); the network's weights are frozen. The content features and the
 * style Gram matrices are computed once, at construction.
 *
 * Each `step()` differentiates the total loss with respect to the image only (`tf.variableGrads` over the
 * image variable; the network's weights are constants of `extractFeatures`), so the backward pass computes
 * input gradients and never filter gradients. The network's weights must not change while the synthesizer
 * lives (it keeps flipped copies of them for the backward pass, see `FrozenVgg19`).
 *
 * @example
 * const s = new Synthesizer(net, preprocess(content, [300, 450]), preprocess(style, [300, 450]));
 * for (let i = 0; i < 500; i++) console.log(s.step());
 * const result = s.result(); // [300, 450, 3] in [0, 1]
 * s.dispose();
 */
export class Synthesizer {
  /** The synthesized image `[1, H, W, 3]`, preprocessed (normalised) space. */
  readonly image: tf.Variable;
  readonly optimizer: Adam;
  readonly scheduler: StepLR;
  readonly contentLayers: readonly number[];
  readonly styleLayers: readonly number[];
  readonly lossWeights: Required<LossWeights>;
  readonly inplaceRelu: boolean;
  /** Steps taken so far. */
  stepCount = 0;
  readonly #net: FrozenVgg19;
  readonly #contentsY: tf.Tensor[];
  readonly #stylesYGram: tf.Tensor[];
  #disposed = false;

  /**
   * @param net a `Vgg19` built up to the deepest layer used (weights frozen: never updated here).
   * @param content preprocessed content image `[1, H, W, 3]`; the synthesized image starts as a copy of it.
   * @param style preprocessed style image `[1, H', W', 3]` (any size; d2l uses the content's).
   */
  constructor(net: Vgg19, content: tf.Tensor, style: tf.Tensor, options: SynthesizerOptions = {}) {
    const fn = 'Synthesizer';
    checkImage(fn, 'content', content);
    checkImage(fn, 'style', style);
    this.contentLayers = [...(options.contentLayers ?? DEFAULT_CONTENT_LAYERS)];
    this.styleLayers = [...(options.styleLayers ?? DEFAULT_STYLE_LAYERS)];
    if (this.contentLayers.length + this.styleLayers.length === 0)
      throw new Error(`${fn}: contentLayers and styleLayers are both empty`);
    const last = deepestLayer(this.contentLayers, this.styleLayers);
    if (!(last <= net.lastLayer)) {
      throw new Error(
        `${fn}: layer ${last} is used but the network is built up to layer ${net.lastLayer} (new Vgg19({ lastLayer: ${last} }))`,
      );
    }
    this.lossWeights = resolveWeights(fn, options.lossWeights);
    this.inplaceRelu = options.inplaceRelu ?? true;
    const opts = { inplaceRelu: this.inplaceRelu };
    const made: tf.Tensor[] = [];
    let frozen: FrozenVgg19 | undefined;
    try {
      frozen = new FrozenVgg19(net, last);
      const cf = extractFeatures(frozen, content, this.contentLayers, this.styleLayers, opts);
      tf.dispose(cf.styles);
      made.push(...cf.contents);
      const sf = extractFeatures(frozen, style, this.contentLayers, this.styleLayers, opts);
      tf.dispose(sf.contents);
      const grams = tf.tidy(() => sf.styles.map((y) => gram(y)));
      tf.dispose(sf.styles);
      made.push(...grams);
      this.image = tf.variable(content, true);
      made.push(this.image);
      this.optimizer = new Adam([this.image], { lr: options.lr ?? 0.3 });
      this.scheduler = new StepLR(this.optimizer, {
        stepSize: options.lrDecayEvery ?? 50,
        gamma: options.lrDecay ?? 0.8,
      });
      this.#net = frozen;
      this.#contentsY = cf.contents;
      this.#stylesYGram = grams;
    } catch (err) {
      frozen?.dispose();
      tf.dispose(made);
      throw err;
    }
  }

  /** The content features (one per content layer), owned by this object. */
  get contentTargets(): readonly tf.Tensor[] {
    return this.#contentsY;
  }

  /** The style Gram matrices (one per style layer), owned by this object. */
  get styleTargets(): readonly tf.Tensor[] {
    return this.#stylesYGram;
  }

  /**
   * One optimisation step (d2l's loop body): features of the image, the losses, their gradient with respect
   * to the image, Adam's update, then the scheduler's step. Returns the losses before the update. Reads them
   * back synchronously: on backends without synchronous reads (tfjs-webgpu in Node) use `stepAsync`.
   */
  step(): StepLosses {
    const { lr, values } = this.#update();
    try {
      return this.#losses(values.dataSync(), lr);
    } finally {
      values.dispose();
    }
  }

  /** `step`, reading the losses back with one awaited read (every backend; no pipeline stall on a GPU). */
  async stepAsync(): Promise<StepLosses> {
    const { lr, values } = this.#update();
    try {
      return this.#losses(await values.data(), lr);
    } finally {
      values.dispose();
    }
  }

  /** The step's update; returns `[content, style, tv, total]` before it, as one tensor the caller frees. */
  #update(): { lr: number; values: tf.Tensor1D } {
    this.#checkLive('step');
    const lr = this.optimizer.lr;
    let parts: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const feats = extractFeatures(this.#net, this.image, this.contentLayers, this.styleLayers, {
        inplaceRelu: this.inplaceRelu,
      });
      const l = computeLoss(this.image, feats, this.#contentsY, this.#stylesYGram, this.lossWeights);
      const zero = tf.scalar(0);
      parts = [
        tf.keep(l.contents.length ? (tf.addN(l.contents) as tf.Scalar) : zero),
        tf.keep(l.styles.length ? (tf.addN(l.styles) as tf.Scalar) : zero),
        tf.keep(l.tv),
      ];
      return l.total;
    }, [this.image]);
    try {
      this.optimizer.step(grads);
      this.scheduler.step();
      this.stepCount++;
      return { lr, values: tf.stack([...parts, value]) as tf.Tensor1D };
    } finally {
      tf.dispose([value, ...Object.values(grads), ...parts]);
    }
  }

  #losses(v: ArrayLike<number>, lr: number): StepLosses {
    return { step: this.stepCount, content: v[0]!, style: v[1]!, tv: v[2]!, total: v[3]!, lr };
  }

  /** The current image, postprocessed: `[H, W, 3]` float32 in [0, 1] (a new tensor the caller owns). */
  result(): tf.Tensor3D {
    this.#checkLive('result');
    return postprocess(this.image);
  }

  /** Frees the image, the targets and the optimizer state (not the network). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.optimizer.dispose();
    this.#net.dispose();
    tf.dispose([this.image, ...this.#contentsY, ...this.#stylesYGram]);
  }

  #checkLive(method: string): void {
    if (this.#disposed) throw new Error(`Synthesizer.${method}: the synthesizer was disposed`);
  }
}
