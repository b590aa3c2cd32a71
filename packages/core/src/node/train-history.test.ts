import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { History } from '../train/history.js';
import { loadHistory, saveHistory } from './train-history.js';

describe('saveHistory / loadHistory', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cv-history-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('saves per-epoch records as JSON and loads them back', async () => {
    const h = new History();
    h.record(1, { 'train loss': Math.LN2, 'test acc': 0.5 });
    h.record(2, { 'train loss': 0.3 });
    const file = path.join(dir, 'history.json');
    await saveHistory(file, h);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      records: [
        { epoch: 1, 'train loss': Math.LN2, 'test acc': 0.5 },
        { epoch: 2, 'train loss': 0.3 },
      ],
    });
    expect((await loadHistory(file)).records).toEqual(h.records);
  });

  it('names a file that is not a history', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, '{"epochs": 3}');
    await expect(loadHistory(file)).rejects.toThrow(
      `loadHistory: ${file} is not a history file: History.fromJSON: expected { records: [...] }`,
    );
    await expect(saveHistory(file, {} as never)).rejects.toThrow('saveHistory: history must be a History');
  });
});
