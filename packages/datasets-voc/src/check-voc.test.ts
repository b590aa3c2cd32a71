import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '@cv/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { checkVoc, formatCheckVocReport, synthesizeVoc } from './index.node.js';
import { main } from './node/cli-main.js';
import { writeHandMadeTree } from './test-utils/hand-made-tree.js';
import { tempDir } from './test-utils/helpers.js';

let gen: string;
let hand: string;

beforeAll(async () => {
  await initBackend('cpu', { log: false });
  gen = (await synthesizeVoc(await tempDir('check'), { train: 3, val: 2, size: [48, 64], seed: 1 })).vocDir;
  hand = await writeHandMadeTree(await tempDir('check-hand'));
});

describe('checkVoc', () => {
  it('passes a generated tree and counts each list', async () => {
    const r = await checkVoc(gen);
    expect(r.ok).toBe(true);
    expect(r.counts).toMatchObject({ 'Segmentation/train': 3, 'Segmentation/val': 2, 'Main/trainval': 5 });
    expect(formatCheckVocReport(r)).toContain('OK');
  });

  it('reports the truncated JPEG, the bad XML and the out-of-palette label of the hand-made tree', async () => {
    const r = await checkVoc(hand, { splits: ['train', 'val', 'bad'] });
    expect(r.ok).toBe(false);
    const kinds = r.problems.map((p) => `${p.problem} ${p.path.slice(hand.length + 1)}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'unreadable JPEGImages/d_truncated.jpg',
        'bad-annotation Annotations/b_rgb.xml',
        'label-values SegmentationClass/e_badvalue.png',
      ]),
    );
    expect(r.counts['Main/bad']).toBeNull();
    expect(r.counts['Segmentation/bad']).toBe(1);
  });
});

describe('cv-datasets-voc CLI', () => {
  it('synth-voc, synth-bananas and check', async () => {
    const out = await tempDir('cli');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(
        await main([
          'synth-voc',
          '--out',
          out,
          '--train',
          '2',
          '--val',
          '1',
          '--size',
          '40x56',
          '--seed',
          '3',
        ]),
      ).toBe(0);
      expect((await readdir(join(out, 'VOCdevkit/VOC2012/JPEGImages'))).length).toBe(3);
      expect(await main(['synth-bananas', '--out', join(out, 'bananas'), '--train', '2', '--val', '1'])).toBe(
        0,
      );
      expect((await readFile(join(out, 'bananas/bananas_val/label.csv'), 'utf8')).split('\n')[0]).toBe(
        'img_name,label,xmin,ymin,xmax,ymax',
      );
      expect(await main(['check', out])).toBe(0); // finds VOCdevkit/VOC2012 inside
      expect(await main(['check', hand, '--quick'])).toBe(1);
      expect(log.mock.calls.flat().join('\n')).toContain('problem(s)');
      await expect(main(['synth-voc', '--size', 'big', '--out', out])).rejects.toThrow(
        '--size must be HEIGHTxWIDTH',
      );
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});
