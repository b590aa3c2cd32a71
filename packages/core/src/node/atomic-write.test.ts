import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAtomicTempFile, writeFileAtomic } from './atomic-write.js';

describe('writeFileAtomic', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(path.join(tmpdir(), 'cv-atomic-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('replaces the file whole and leaves no temporary file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'h.json');
    await writeFileAtomic(file, 'old');
    await writeFileAtomic(file, new Uint8Array([110, 101, 119]));
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['h.json']);
  });

  it('creates missing parent folders', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'a', 'b', 'c.txt');
    await writeFileAtomic(file, 'deep');
    expect(await readFile(file, 'utf8')).toBe('deep');
  });

  it('keeps the old file and removes its temporary file when the rename fails', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'taken');
    await mkdir(path.join(target, 'child'), { recursive: true }); // renaming a file over a non-empty directory fails
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
    expect(await readdir(target)).toEqual(['child']);
  });

  it('names its temporary files recognisably', async () => {
    expect(isAtomicTempFile(`.checkpoint-000002.safetensors.tmp-${process.pid}-0a1b2c3d4e5f`)).toBe(true);
    expect(isAtomicTempFile('checkpoint-000002.safetensors')).toBe(false);
    const dir = await tempDir();
    await writeFile(path.join(dir, 'x'), '');
    await expect(writeFileAtomic('', 'x')).rejects.toThrow('writeFileAtomic: file must be a non-empty path');
  });
});
