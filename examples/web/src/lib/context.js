// What a page's `run(ctx)` gets: DOM helpers to show text, tensors as pictures, tables and progress, a check
// list, and the image loader. Canvases carry `data-name`, so the end-to-end test can read their pixels.
import { decodeImage, tensorToImage } from '@cv/core';
import * as tf from '@tensorflow/tfjs-core';

// @cv/core 0.1.0's decodeImage calls createImageBitmap as a method of its own object, which browsers reject
// ("Illegal invocation": it must be called on the window). A bound copy works either way; remove this line
// once @cv/core calls it on globalThis.
globalThis.createImageBitmap = globalThis.createImageBitmap.bind(globalThis);

const el = (tag, props = {}, children = []) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of [].concat(children)) e.append(c);
  return e;
};

/** An RGB/gray/RGBA PixelImage drawn into a new canvas (CSS-scaled by `zoom`, crisp pixels). */
export function pixelsToCanvas(px, zoom = 1) {
  const canvas = el('canvas', { width: px.width, height: px.height });
  const ctx = canvas.getContext('2d');
  const out = ctx.createImageData(px.width, px.height);
  const n = px.width * px.height;
  const c = px.channels;
  for (let i = 0; i < n; i++) {
    const s = i * c;
    const gray = c < 3;
    out.data[i * 4] = px.data[s];
    out.data[i * 4 + 1] = px.data[gray ? s : s + 1];
    out.data[i * 4 + 2] = px.data[gray ? s : s + 2];
    out.data[i * 4 + 3] = c === 4 ? px.data[s + 3] : c === 2 ? px.data[s + 1] : 255;
  }
  ctx.putImageData(out, 0, 0);
  if (zoom !== 1) {
    canvas.style.width = `${px.width * zoom}px`;
    canvas.style.height = `${px.height * zoom}px`;
  }
  return canvas;
}

/** Formats a 2-D array like PyTorch prints a small tensor. */
export function formatMatrix(rows, digits = 0) {
  const cells = rows.map((r) => r.map((v) => (digits ? v.toFixed(digits) : `${v}.`)));
  const w = Math.max(...cells.flat().map((s) => s.length));
  return `tensor([${cells.map((r) => `[${r.map((s) => s.padStart(w)).join(', ')}]`).join(',\n        ')}])`;
}

export function createContext(root, { params, backend, pageId }) {
  const checks = [];
  let section = root;
  const checkList = el('ul', { className: 'checks' });

  const ctx = {
    params,
    backend,
    pageId,
    checks,
    /** A titled section; later output goes into it. */
    section(title, text) {
      section = el('section', {}, [el('h2', { textContent: title })]);
      if (text) section.append(el('p', { textContent: text }));
      root.append(section);
      return section;
    },
    text(text) {
      const p = el('p', { textContent: text });
      section.append(p);
      return p;
    },
    /** Monospaced output (tensors as PyTorch prints them). */
    pre(text, name) {
      const p = el('pre', { textContent: text, dataset: name ? { name } : {} });
      section.append(p);
      return p;
    },
    /** A row of figures: call `figure` on the returned element's `add`. */
    row() {
      const r = el('div', { className: 'row' });
      section.append(r);
      return r;
    },
    /**
     * Shows an image (tensor [H, W, C]/[H, W], int32 bytes or float32 in [0, 1], or a PixelImage) as a canvas
     * named `name` with a caption. Returns the canvas.
     */
    async image(image, { name, caption, zoom = 1, into } = {}) {
      const px = image instanceof tf.Tensor ? await tensorToImage(image) : image;
      const canvas = pixelsToCanvas(px, zoom);
      if (name) canvas.dataset.name = name;
      const fig = el('figure', {}, [canvas, el('figcaption', { textContent: caption ?? name ?? '' })]);
      (into ?? section).append(fig);
      return canvas;
    },
    table(headers, rows, name) {
      const t = el('table', { dataset: name ? { name } : {} }, [
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            headers.map((h) => el('th', { textContent: h })),
          ),
        ),
        el(
          'tbody',
          {},
          rows.map((r) =>
            el(
              'tr',
              {},
              r.map((c) => el('td', { textContent: String(c) })),
            ),
          ),
        ),
      ]);
      section.append(t);
      return t;
    },
    /** A progress bar with a label: `update(fraction, text)`. */
    progress(label) {
      const bar = el('progress', { max: 1, value: 0 });
      const text = el('span', { className: 'progress-text', textContent: label });
      section.append(el('div', { className: 'progress', dataset: { name: 'progress' } }, [bar, text]));
      return {
        update(fraction, t) {
          bar.value = fraction;
          if (t) text.textContent = `${label}: ${t}`;
        },
      };
    },
    /** Records a check (shown at the end of the page, returned to the test). */
    check(ok, what) {
      checks.push({ ok: Boolean(ok), what });
      checkList.append(el('li', { className: ok ? 'ok' : 'fail', textContent: `${ok ? '✓' : '✗'} ${what}` }));
      return ok;
    },
    /** Decodes an image from public/images into an [H, W, 3] tensor (int32 bytes, or float32 in [0, 1]). */
    async loadImage(file, options) {
      const res = await fetch(new URL(`images/${file}`, document.baseURI));
      if (!res.ok) throw new Error(`loading images/${file}: HTTP ${res.status}`);
      return decodeImage(await res.blob(), options);
    },
    /** Lets the browser paint (between training steps). */
    nextFrame() {
      // requestAnimationFrame paints; the timeout keeps a hidden tab (no frames) going.
      return new Promise((resolve) => {
        requestAnimationFrame(() => resolve());
        setTimeout(resolve, 50);
      });
    },
    finish() {
      if (checks.length) {
        root.append(
          el('section', { className: 'check-section' }, [el('h2', { textContent: 'Checks' }), checkList]),
        );
      }
    },
  };
  return ctx;
}
