import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FixtureRun {
  op: 'roi_pool' | 'roi_align';
  params: { outputSize: [number, number]; spatialScale: number; samplingRatio?: number; aligned?: boolean };
  outShape: number[];
  out: number[];
  dy: number[];
  dx: number[];
}

export interface FixtureCase {
  name: string;
  featuresShape: [number, number, number, number];
  features: number[];
  rois: number[][];
  runs: FixtureRun[];
}

export interface MultiScaleFixture {
  name: string;
  imageSize: [number, number];
  outputSize: [number, number];
  samplingRatio: number;
  canonicalScale: number;
  canonicalLevel: number;
  scales: number[];
  levels: number[];
  featuresShapes: [number, number, number, number][];
  features: number[][];
  rois: number[][];
  outShape: number[];
  out: number[];
  dy: number[];
  dx: number[][];
}

export interface Fixtures {
  torch: string;
  torchvision: string;
  cases: FixtureCase[];
  multiScale: MultiScaleFixture;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** Golden values from torchvision (fixtures/make_fixtures.py). */
export const fixtures: Fixtures = JSON.parse(
  readFileSync(path.join(here, '..', '..', 'fixtures', 'roi_fixtures.json'), 'utf8'),
);
