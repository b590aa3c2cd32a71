import type { Rgb } from './pixels.js';

/** Escapes text for SVG/XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** `rgb(r,g,b)` for an SVG fill or stroke. */
export function cssRgb(color: Rgb): string {
  return `rgb(${color[0]},${color[1]},${color[2]})`;
}

/** The font SVG text overlays use: a monospace font (about 0.6 em per character) fits the bitmap font's boxes. */
export const SVG_FONT_FAMILY = 'DejaVu Sans Mono, Menlo, Consolas, monospace';

/** Wraps SVG elements in a document of the given pixel size. */
export function svgDocument(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}</svg>`;
}
