/**
 * Optimizers and learning-rate schedules with PyTorch 1.13's update rules (checked step by step against
 * torch.optim). Optimizers take `tf.Variable[]` or `{ name: Variable }`, step from the gradients
 * `tf.variableGrads` returns, and save/restore their state for exact resumption.
 */

export { Adam, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './cosine-annealing-lr.js';
export { type HasLearningRate, LRScheduler, type LRSchedulerStateDict } from './lr-scheduler.js';
export {
  type Grads,
  Optimizer,
  type OptimizerOptionsRecord,
  type OptimizerStateDict,
  type ParamState,
  type Params,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { StepLR, type StepLROptions } from './step-lr.js';
