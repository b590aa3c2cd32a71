import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DatasetFileError } from './errors.js';
import { VOC_DETECTION_CLASSES } from './voc-constants.js';

/** One object of a VOC annotation. */
export interface VocObject {
  /** The `<name>` as written. */
  name: string;
  /** Index into {@link VOC_DETECTION_CLASSES} (0..19). */
  cls: number;
  difficult: boolean;
  truncated: boolean;
  /** `[xmin, ymin, xmax, ymax]`, VOC's 1-based inclusive pixel coordinates. */
  bndbox: [number, number, number, number];
}

/** A parsed `Annotations/<id>.xml`. */
export interface VocAnnotation {
  filename: string;
  width: number;
  height: number;
  objects: VocObject[];
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => name === 'object',
});

/**
 * Parses VOC annotation XML. Malformed XML, a missing `<size>` or `<bndbox>`, an unknown class name or a box
 * outside the image is an error naming `where` (never a silent wrong label).
 *
 * @param classes the class names, index = class. Default {@link VOC_DETECTION_CLASSES}.
 */
export function parseVocAnnotation(
  text: string,
  where: string,
  classes: readonly string[] = VOC_DETECTION_CLASSES,
): VocAnnotation {
  const bad = (msg: string) => new DatasetFileError(`annotation ${where}: ${msg}`, where, 'corrupt');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw bad(`invalid XML at line ${valid.err.line}: ${valid.err.msg}`);
  const doc = parser.parse(text) as { annotation?: Record<string, unknown> | string };
  if (doc.annotation === undefined) throw bad('no <annotation> root element');
  const ann = typeof doc.annotation === 'object' ? doc.annotation : {};
  const size = ann.size as Record<string, string> | undefined;
  const num = (v: unknown, what: string) => {
    const n = Number(typeof v === 'string' ? v.trim() : v);
    if (v === undefined || v === '' || !Number.isFinite(n))
      throw bad(`${what} is not a number: '${String(v)}'`);
    return n;
  };
  if (!size) throw bad('no <size> element');
  const width = num(size.width, '<size><width>');
  const height = num(size.height, '<size><height>');
  const objects = ((ann.object as Record<string, unknown>[] | undefined) ?? []).map((o, i): VocObject => {
    const name = String(o.name ?? '').trim();
    const cls = classes.indexOf(name);
    if (cls < 0) throw bad(`object ${i} has the class '${name}', not one of ${classes.join(', ')}`);
    const b = o.bndbox as Record<string, string> | undefined;
    if (!b) throw bad(`object ${i} (${name}) has no <bndbox>`);
    const box: [number, number, number, number] = [
      num(b.xmin, `object ${i} xmin`),
      num(b.ymin, `object ${i} ymin`),
      num(b.xmax, `object ${i} xmax`),
      num(b.ymax, `object ${i} ymax`),
    ];
    if (box[2] < box[0] || box[3] < box[1])
      throw bad(`object ${i} (${name}) has xmax < xmin or ymax < ymin: [${box}]`);
    if (box[0] < 0 || box[1] < 0 || box[2] > width + 1 || box[3] > height + 1)
      throw bad(`object ${i} (${name}) box [${box}] lies outside the ${width}x${height} image`);
    const flag = (v: unknown) => v !== undefined && Number(String(v).trim()) === 1;
    return { name, cls, difficult: flag(o.difficult), truncated: flag(o.truncated), bndbox: box };
  });
  return { filename: String(ann.filename ?? ''), width, height, objects };
}

/**
 * A VOC pixel box (1-based, inclusive) as normalized corners: `[(xmin − 1)/W, (ymin − 1)/H, xmax/W, ymax/H]`
 * (pixel `i` covers `[i − 1, i]`).
 */
export function normalizeVocBox(
  box: readonly number[],
  width: number,
  height: number,
): [number, number, number, number] {
  return [(box[0]! - 1) / width, (box[1]! - 1) / height, box[2]! / width, box[3]! / height];
}
