/**
 * @cv/datasets-voc for Node.js (the package's `node` export condition): the browser API reading from disk,
 * plus the generators (`synthesizeVoc`, `synthesizeBananas`) and the VOCdevkit checker.
 */
import { nodePlatform } from './node/platform-node.js';
import { setDataPlatform } from './platform.js';

setDataPlatform(nodePlatform);

export * from './api.js';
export { assetsDir, BACKGROUND_PHOTOS } from './node/assets.js';
export { type CliMain, main as runCli } from './node/cli-main.js';
export { ensureBananas, ensureVoc } from './node/ensure.js';
export {
  type SynthesizeBananasOptions,
  type SynthesizeBananasResult,
  synthesizeBananas,
} from './node/synthesize-bananas.js';
export {
  annotationXml,
  type SynthesizeVocOptions,
  type SynthesizeVocResult,
  synthesizeVoc,
} from './node/synthesize-voc.js';
export { nodePlatform };
