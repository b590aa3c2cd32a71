/**
 * @cv/datasets-voc for browsers and bundlers: Pascal VOC 2012 and the d2l banana set read from a base URL.
 * Node.js gets `index.node.ts` (the same API plus disk reading and the generators) through the `node`
 * export condition.
 */

import { setDataPlatform } from './platform.js';
import { browserPlatform } from './platform-browser.js';

setDataPlatform(browserPlatform);

export * from './api.js';
