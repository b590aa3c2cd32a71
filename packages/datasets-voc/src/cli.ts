#!/usr/bin/env node
/**
 * `cv-datasets-voc`: generate a VOCdevkit or a banana set, or check a VOCdevkit (see node/cli-main.ts).
 */
import './index.node.js';
import { main } from './node/cli-main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    console.error(`cv-datasets-voc: ${err.message}`);
    process.exitCode = 1;
  },
);
