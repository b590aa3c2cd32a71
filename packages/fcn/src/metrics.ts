import * as tf from '@tensorflow/tfjs-core';
import { checkSegmentationPair, IGNORE_INDEX } from './loss.js';

export interface SegmentationScores {
  /** Correct pixels / labelled pixels (label ≠ ignore). */
  pixelAccuracy: number;
  /** Mean over classes of IoU = TP / (TP + FP + FN), over the classes that occur in the labels or predictions. */
  meanIoU: number;
  /** Per-class IoU (NaN for a class that occurs in neither labels nor predictions). */
  classIoU: number[];
  /** Labelled pixels counted. */
  pixels: number;
}

/**
 * A confusion matrix over segmentation maps (torchvision's `references/segmentation` `ConfusionMatrix`):
 * accumulates `[label, prediction]` counts over batches, ignoring pixels labelled `ignoreIndex`, and gives
 * pixel accuracy and mean IoU (classes absent from both labels and predictions are left out of the mean,
 * torchvision's nan-mean).
 */
export class SegmentationMetric {
  readonly numClasses: number;
  readonly ignoreIndex: number;
  /** Row = true class, column = predicted class, `numClasses²` counts. */
  readonly matrix: Float64Array;

  constructor(numClasses: number, options: { ignoreIndex?: number } = {}) {
    if (!Number.isInteger(numClasses) || numClasses < 1)
      throw new Error(`SegmentationMetric: numClasses must be an integer ≥ 1, got ${String(numClasses)}`);
    this.numClasses = numClasses;
    this.ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
    this.matrix = new Float64Array(numClasses * numClasses);
  }

  /** Adds label/prediction pairs given as flat integer arrays of the same length. */
  updateArrays(labels: ArrayLike<number>, predictions: ArrayLike<number>): void {
    if (labels.length !== predictions.length)
      throw new Error(
        `SegmentationMetric.updateArrays: ${labels.length} labels but ${predictions.length} predictions`,
      );
    const c = this.numClasses;
    for (let i = 0; i < labels.length; i++) {
      const t = labels[i]!;
      if (t === this.ignoreIndex) continue;
      const p = predictions[i]!;
      if (!(t >= 0 && t < c && Number.isInteger(t)))
        throw new Error(
          `SegmentationMetric: label ${t} at flat index ${i} is outside [0, ${c}) and not the ignore index ${this.ignoreIndex}`,
        );
      if (!(p >= 0 && p < c)) throw new Error(`SegmentationMetric: prediction ${p} is outside [0, ${c})`);
      this.matrix[t * c + p]! += 1;
    }
  }

  /** Adds a batch: `logits` `[B, H, W, C]` (argmax taken here) and `labels` `[B, H, W]`. Reads both back. */
  async update(logits: tf.Tensor, labels: tf.Tensor): Promise<void> {
    checkSegmentationPair('SegmentationMetric.update', logits, labels);
    if (logits.shape[3] !== this.numClasses)
      throw new Error(
        `SegmentationMetric.update: logits have ${logits.shape[3]} classes, the metric ${this.numClasses}`,
      );
    const pred = tf.tidy(() => tf.argMax(logits, 3));
    try {
      const [p, t] = await Promise.all([pred.data(), labels.data()]);
      this.updateArrays(t, p);
    } finally {
      pred.dispose();
    }
  }

  /** Pixel accuracy, mean IoU and per-class IoU of everything added so far. */
  compute(): SegmentationScores {
    const c = this.numClasses;
    const m = this.matrix;
    let total = 0;
    let correct = 0;
    const rows = new Float64Array(c);
    const cols = new Float64Array(c);
    for (let i = 0; i < c; i++)
      for (let j = 0; j < c; j++) {
        const v = m[i * c + j]!;
        total += v;
        rows[i]! += v;
        cols[j]! += v;
        if (i === j) correct += v;
      }
    const classIoU: number[] = [];
    let sum = 0;
    let present = 0;
    for (let i = 0; i < c; i++) {
      const tp = m[i * c + i]!;
      const union = rows[i]! + cols[i]! - tp;
      if (union > 0) {
        classIoU.push(tp / union);
        sum += tp / union;
        present++;
      } else classIoU.push(Number.NaN);
    }
    return {
      pixelAccuracy: total > 0 ? correct / total : Number.NaN,
      meanIoU: present > 0 ? sum / present : Number.NaN,
      classIoU,
      pixels: total,
    };
  }

  reset(): void {
    this.matrix.fill(0);
  }
}
