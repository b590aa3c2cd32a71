/**
 * @cv/ssd for Node.js: everything of `@cv/ssd`, plus the training loop with checkpoints (`trainSsd`), model
 * files (`saveSsd`/`loadSsd`) and drawing detections to PNG (`saveDetections`).
 */

export { loadSsd, type SaveDetectionsOptions, saveDetections, saveSsd } from './files.js';
export * from './index.js';
export {
  createParallelTrainer,
  type ParallelTrainer,
  type ParallelTrainerOptions,
  type WorkerBackend,
} from './parallel.js';
export { type TrainSsdOptions, type TrainSsdResult, trainSsd } from './train.js';
