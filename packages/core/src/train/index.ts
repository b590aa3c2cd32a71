/**
 * Training utilities that run everywhere (Node and browsers): metric accumulators, timers, the per-epoch
 * history and its plot (SVG), the progress-callback interface, optimizer state for resuming, and the
 * non-finite-loss check. Files (progress bar, checkpoints, history and plot files) are in the Node entry's
 * `train-*` modules.
 */
export { Accumulator } from './accumulator.js';
export {
  type CheckpointData,
  disposeCheckpoint,
  type ParsedCheckpoint,
  parseCheckpoint,
  serializeCheckpoint,
} from './checkpoint-format.js';
export { History, type HistoryJSON, type HistoryRecord } from './history.js';
export { accuracy, countCorrect, MeanMetric } from './metrics.js';
export { checkFinite, NonFiniteLossError, type TrainingPosition } from './non-finite.js';
export { exportOptimizerState, importOptimizerState, type OptimizerState } from './optimizer-state.js';
export { type HistoryPlotOptions, historyPlotSpec, renderHistorySvg } from './plot.js';
export {
  combineProgress,
  type EpochEndEvent,
  type EpochStartEvent,
  formatMetrics,
  formatProgressLine,
  logProgress,
  type ProgressCallback,
  type ProgressEvent,
  ProgressReporter,
  type StepEvent,
} from './progress.js';
export { type ReadScalarsOptions, readScalars } from './read-scalars.js';
export { Timer } from './timer.js';
