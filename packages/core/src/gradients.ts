// tfjs-core's gradient registrations and chained tensor methods, bundled against its public API by
// scripts/bundle-gradients.mjs (run by `pnpm build`). See that script for why.
import './generated/gradients.js';

// The chained methods' types (x.mean(), x.add(y)) are tfjs-core's own module augmentation.
export type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
