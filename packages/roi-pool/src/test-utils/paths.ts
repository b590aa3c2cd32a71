import { useRoIKernels } from '../kernels.js';

/**
 * The two ways the ops compute: the kernels @cv/roi-pool registers for 'wasm' and 'cpu', and the tfjs-ops
 * path of every other backend (forced here on 'wasm' and 'cpu' too). Every op suite runs on both, against
 * the same goldens.
 */
export const PATHS = ['kernels', 'tfjs ops'] as const;
export type Path = (typeof PATHS)[number];

/** Makes the ops take `path` (until the next call). */
export function usePath(path: Path): void {
  useRoIKernels(path === 'kernels');
}
