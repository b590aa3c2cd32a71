/**
 * @cv/core/testing: helpers the @cv packages' tests share (and users' own tests may use).
 * Framework-agnostic: each helper throws an Error with a precise message on failure.
 */

export { installSoftwareWebgpu } from '../webgpu/software-adapter.js';
export { type TestBackendsOptions, testBackends } from './backends.js';
export { type CloseOptions, expectClose, maxDifference } from './close.js';
export { type GradCheckOptions, type GradCheckReport, gradCheck } from './grad-check.js';
export { countTensors, expectNoLeaks } from './leaks.js';
