/**
 * The background photographs shipped in the package's `assets/` folder (public-domain / CC0 photos from
 * scikit-image; see `assets/LICENSES.md`), decoded once per process.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbPixels } from '../platform.js';
import { nodePlatform } from './platform-node.js';

/** File names of the background photos in `assets/`. */
export const BACKGROUND_PHOTOS = [
  'astronaut.jpg',
  'chelsea.jpg',
  'coffee.jpg',
  'rocket.jpg',
  'hubble_deep_field.jpg',
  'gravel.jpg',
] as const;

/** The package's `assets/` folder (found upwards from this module: `dist/` when built, `src/node/` in tests). */
export function assetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'assets', 'LICENSES.md'))) return join(dir, 'assets');
    dir = dirname(dir);
  }
  throw new Error(`@cv/datasets-voc: cannot find the assets/ folder above ${fileURLToPath(import.meta.url)}`);
}

let cache: Promise<RgbPixels[]> | undefined;

/** The decoded background photos (RGB bytes). Needs a tfjs backend (decoding goes through `@cv/core`). */
export function loadBackgrounds(): Promise<RgbPixels[]> {
  cache ??= (async () => {
    const dir = assetsDir();
    return Promise.all(
      BACKGROUND_PHOTOS.map(async (f) =>
        nodePlatform.decodeRgb(new Uint8Array(await readFile(join(dir, f))), join(dir, f)),
      ),
    );
  })();
  cache.catch(() => {
    cache = undefined;
  });
  return cache;
}
