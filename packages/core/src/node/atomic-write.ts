import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Is `name` a temporary file of {@link writeFileAtomic} (never a finished file)? */
export function isAtomicTempFile(name: string): boolean {
  return /^\..+\.tmp-\d+-[0-9a-f]+$/.test(path.basename(name));
}

/** A fresh temporary path beside `file` that {@link isAtomicTempFile} recognises (for streamed writes). */
export function atomicTempPath(file: string): string {
  return path.join(
    path.dirname(path.resolve(file)),
    `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`,
  );
}

/**
 * Writes `data` to `file` so that `file` is either the old content or the complete new content, never a
 * partial write, even if the process or the machine dies midway: the data goes to a temporary file
 * `.<name>.tmp-<pid>-<random>` in the same directory, is flushed to disk (fsync), and is renamed over
 * `file` (atomic within one file system); then the directory is fsynced so the rename itself is durable
 * (skipped where directories cannot be opened, as on Windows). The temporary file is removed on failure.
 * Missing parent folders are created.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  if (typeof file !== 'string' || file === '')
    throw new Error(`writeFileAtomic: file must be a non-empty path, got ${String(file)}`);
  const dir = path.dirname(path.resolve(file));
  await mkdir(dir, { recursive: true });
  const tmp = atomicTempPath(file);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Directory fsync is not supported everywhere (Windows); the rename has happened either way.
  }
}
