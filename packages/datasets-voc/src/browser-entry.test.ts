import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getDataPlatform,
  loadDataBananas,
  nodePlatform,
  readVocSegExample,
  setDataPlatform,
  synthesizeBananas,
  VOCDetection,
} from './index.node.js';
import { browserPlatform } from './platform-browser.js';
import { handLabel, writeHandMadeTree } from './test-utils/hand-made-tree.js';
import { tempDir } from './test-utils/helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Relative imports reachable from a source file (static `import ... from './x.js'`). */
async function importGraph(entry: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const visit = async (file: string) => {
    if (graph.has(file)) return;
    const text = await readFile(file, 'utf8');
    const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\s+'([^']+)'/g)].map(
      (m) => m[1] ?? m[2]!,
    );
    graph.set(file, specs);
    for (const s of specs)
      if (s.startsWith('.')) await visit(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
  };
  await visit(entry);
  return graph;
}

describe('browser entry', () => {
  it('pulls in no Node built-ins and no Node-only module', async () => {
    const graph = await importGraph(join(here, 'index.ts'));
    const all = [...graph.entries()].flatMap(([file, specs]) =>
      specs.map((s) => `${file.slice(here.length)} → ${s}`),
    );
    expect(all.filter((s) => /→ node:|→ \.\.?\/node\/|sharp/.test(s))).toEqual([]);
    expect(all.length).toBeGreaterThan(10);
    // and the Node entry does bring in the Node platform
    const nodeGraph = await importGraph(join(here, 'index.node.ts'));
    expect([...nodeGraph.keys()].some((f) => f.endsWith('platform-node.ts'))).toBe(true);
  });
});

describe('reading the same layouts from a base URL', () => {
  let server: Server;
  let base: string;
  let root: string;
  const previous = getDataPlatform();

  beforeAll(async () => {
    await initBackend('cpu', { log: false });
    root = await tempDir('http');
    await synthesizeBananas(join(root, 'banana-detection'), { train: 4, val: 2, seed: 9 });
    await writeHandMadeTree(root);
    server = createServer(async (req, res) => {
      try {
        const body = await readFile(join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname)));
        res.end(body);
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // The browser platform (fetch, DecompressionStream) with Node's decoder standing in for createImageBitmap.
    setDataPlatform({ ...browserPlatform, decodeRgb: nodePlatform.decodeRgb });
  });

  afterAll(async () => {
    setDataPlatform(previous);
    await new Promise((r) => server.close(r));
  });

  it('loads the banana set over HTTP', async () => {
    const [train] = await loadDataBananas(4, { dir: `${base}banana-detection` });
    const b = (await train.iterate(0).next()).value!;
    expect(b.images.shape).toEqual([4, 256, 256, 3]);
    tf.dispose([b.images, b.labels]);
  });

  it('reads palette labels (inflated by DecompressionStream) and annotations over HTTP', async () => {
    const voc = `${base}VOCdevkit/VOC2012`;
    const a = await readVocSegExample(voc, 'a_palette');
    expect(Array.from(a.label)).toEqual(Array.from(handLabel()));
    const ds = await VOCDetection.load({ vocDir: voc, split: 'val', keepDifficult: true });
    expect(ds.annotations[0]!.objects).toHaveLength(2);
  });

  it('names the URL of a missing list', async () => {
    const err = await VOCDetection.load({ vocDir: `${base}nothing`, split: 'val' }).catch((e) => e);
    expect(err.message).toContain(`${base}nothing/ImageSets/Main/val.txt`);
    expect(err.message).toContain('HTTP 404');
  });
});
