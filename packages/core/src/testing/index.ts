/**
 * @cv/core/testing: helpers the @cv packages' tests share (and users' own tests may use).
 * Framework-agnostic: each helper throws an Error with a precise message on failure.
 */
export { expectClose, type CloseOptions, maxDifference } from './close.js';
export { expectNoLeaks, countTensors } from './leaks.js';
export { gradCheck, type GradCheckOptions, type GradCheckReport } from './grad-check.js';
export { testBackends, type TestBackendsOptions } from './backends.js';
