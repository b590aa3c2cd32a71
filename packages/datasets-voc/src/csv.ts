/** A small CSV reader for the banana `label.csv` (no quoting needed: names and numbers only). */
export function parseCsv(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => line.split(',').map((c) => c.trim()));
}
