/**
 * Test-only (not exported): the goldens of fixtures/anchors.json, made by fixtures/make_fixtures.py from
 * d2l's functions and torchvision.ops (PyTorch 1.13, torchvision 0.14, CPU, float32). Non-finite floats are
 * stored as the strings "NaN", "Infinity", "-Infinity".
 */
import { readFileSync } from 'node:fs';

export type Nested = number | Nested[];

function revive(_key: string, v: unknown): unknown {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return v;
}

interface NmsInput {
  boxes: number[][];
  scores: number[];
}
interface DetInput {
  clsProbs: number[][][];
  offsetPreds: number[][];
  anchors: number[][][];
}

export const golden = JSON.parse(
  readFileSync(new URL('../fixtures/anchors.json', import.meta.url), 'utf8'),
  revive,
) as {
  boxes: {
    boxes1: number[][];
    boxes2: number[][];
    cornerToCenter: number[][];
    centerToCorner: number[][];
    area: number[];
    iou: number[][];
    iouD2l: number[][];
    giou: number[][];
  };
  multiboxPrior: { h: number; w: number; sizes: number[]; ratios: number[]; anchors: number[][][] }[];
  assign: {
    name: string;
    groundTruth: number[][];
    anchors: number[][];
    iouThreshold: number;
    expected: number[];
  }[];
  offsets: {
    anchors: number[][];
    assigned: number[][];
    offsets: number[][];
    offsetBoxes: number[][];
    offsetInverse: number[][];
    roundTrip: number[][];
    roundTripAssigned: number[][];
    weights: number[];
    eps: number;
    offsetBoxesWeighted: number[][];
    offsetInverseWeighted: number[][];
  };
  multiboxTarget: {
    name: string;
    anchors: number[][][];
    labels: number[][][];
    bboxOffset: number[][];
    bboxMask: number[][];
    classLabels: number[][];
  }[];
  nms: { name: string; input: string; iouThreshold: number; d2l: number[]; torchvision?: number[] }[];
  batchedNms: {
    name: string;
    boxes: number[][];
    scores: number[];
    idxs: number[];
    iouThreshold: number;
    torchvision: number[];
    vanilla: number[];
    coordinateTrick: number[];
  }[];
  softNms: {
    boxes: number[][];
    scores: number[];
    cases: {
      method: 'gaussian' | 'linear';
      sigma: number;
      iouThreshold: number;
      scoreThreshold: number;
      indices: number[];
      scores: number[];
    }[];
  };
  multiboxDetection: {
    name: string;
    input: string;
    nmsThreshold: number;
    posThreshold: number;
    expected: number[][][];
  }[];
  inputs: Record<string, NmsInput & DetInput>;
};
