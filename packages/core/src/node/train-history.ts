import { readFile } from 'node:fs/promises';
import { History } from '../train/history.js';
import { writeFileAtomic } from './atomic-write.js';

/** Saves `history` as pretty JSON (`{ records: [...] }`) to `file`, atomically (temporary file, fsync, rename). */
export async function saveHistory(file: string, history: History): Promise<void> {
  if (!(history instanceof History))
    throw new Error(`saveHistory: history must be a History, got ${typeof history}`);
  await writeFileAtomic(file, `${JSON.stringify(history, null, 2)}\n`);
}

/** Loads a history saved by {@link saveHistory} (or any `{ records }` / record-array JSON file). */
export async function loadHistory(file: string): Promise<History> {
  const text = await readFile(file, 'utf8');
  try {
    return History.fromJSON(text);
  } catch (err) {
    throw new Error(`loadHistory: ${file} is not a history file: ${(err as Error).message}`);
  }
}
