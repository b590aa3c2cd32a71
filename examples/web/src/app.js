// The shell: without `?page=` a list of the pages; with `?page=<id>` it starts the backend (`?backend=`
// wasm|cpu|webgpu, default: the best available), runs that page and publishes what it produced:
//   window.__status  'running' | 'done' | 'error'
//   window.__result  { page, backend, details, ms, leakedTensors, checks: [{ ok, what }], ...the page's numbers }
//   window.__error   the error message when __status is 'error'
// The end-to-end test (e2e/run.mjs) waits for __status and asserts on __result and on the canvases.
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, startBackend } from './lib/backend.js';
import { createContext } from './lib/context.js';
import { PAGES } from './pages.js';
import './style.css';

const params = new URLSearchParams(location.search);
const main = document.getElementById('main');
const backendLine = document.getElementById('backend');

function listPages() {
  window.__status = 'done';
  backendLine.hidden = true;
  const h = document.createElement('h1');
  h.textContent = 'Every @cv example in the browser';
  const p = document.createElement('p');
  p.textContent =
    'TensorFlow.js on WASM/SIMD (threaded when the page is cross-origin isolated), WebGPU where the browser has it. Add ?backend=wasm, cpu or webgpu to a page to choose.';
  const ul = document.createElement('ul');
  ul.className = 'pages';
  for (const page of PAGES) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `?page=${page.id}`;
    a.textContent = page.title;
    const pkg = document.createElement('code');
    pkg.textContent = page.pkg;
    li.append(a, ' ', pkg, document.createElement('br'), page.summary);
    ul.append(li);
  }
  main.append(h, p, ul);
}

async function runPage(page) {
  window.__status = 'running';
  document.title = `${page.title} · @cv`;
  const h = document.createElement('h1');
  h.textContent = page.title;
  const sub = document.createElement('p');
  sub.className = 'summary';
  sub.innerHTML = `<code>${page.pkg}</code> · `;
  sub.append(page.summary);
  main.append(h, sub);

  const info = await startBackend(params.get('backend') ?? '');
  const desc = describeBackend(info);
  backendLine.textContent = `backend: ${desc.title}`;
  backendLine.title = [desc.reason, ...desc.skipped].join('\n');
  backendLine.dataset.backend = info.name;

  const module = await page.load();
  const ctx = createContext(main, { params, backend: info, pageId: page.id });
  const tensorsBefore = tf.memory().numTensors;
  const t0 = performance.now();
  const numbers = await module.run(ctx);
  const ms = performance.now() - t0;
  ctx.finish();
  const leakedTensors = tf.memory().numTensors - tensorsBefore;
  const footer = document.createElement('p');
  footer.className = 'footer';
  footer.textContent = `ran in ${(ms / 1000).toFixed(2)} s on ${desc.title}; ${leakedTensors} tensors left behind`;
  main.append(footer);
  window.__result = {
    page: page.id,
    backend: info.name,
    details: info.details,
    ms,
    leakedTensors,
    checks: ctx.checks,
    ...numbers,
  };
  window.__status = 'done';
}

const id = params.get('page');
if (!id) listPages();
else {
  const page = PAGES.find((p) => p.id === id);
  const start = page
    ? runPage(page)
    : Promise.reject(new Error(`no page '${id}'; pages: ${PAGES.map((p) => p.id).join(', ')}`));
  start.catch((err) => {
    window.__error = err?.stack ?? String(err);
    window.__status = 'error';
    const pre = document.createElement('pre');
    pre.className = 'error';
    pre.textContent = String(err?.message ?? err);
    main.append(pre);
    console.error(err);
  });
}
