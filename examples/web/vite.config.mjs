// Vite config of the web examples: one HTML entry (index.html), pages loaded on demand (src/pages.js).
//
// The page is served cross-origin isolated (COOP + COEP headers, in `vite` and `vite preview` alike), so
// SharedArrayBuffer exists and tfjs-backend-wasm runs its threaded SIMD build; without these headers it falls
// back to single-threaded SIMD. A static host must send the same two headers for threads.
// The .wasm binaries are imported with `?url` in src/lib/backend.js, so Vite copies them into the build
// (hashed, under assets/) and the page hands their URLs to tfjs with setWasmPaths().
import { defineConfig } from 'vite';

/**
 * tfjs-backend-wasm 4.22's threaded build starts its workers with `factory.toString()` (the Emscripten
 * module function as source text), but that function reads `_scriptDir`, a variable of its enclosing
 * closure. In a worker the closure is gone: with a minifier, which drops the `typeof` guard and renames the
 * variable, every worker dies with "_scriptDir is not defined" (or "e is not defined"). In an ES-module
 * bundle `_scriptDir` is always undefined (no `document.currentScript`), so the two reads are removed here,
 * which changes nothing on the main thread. Fails the build if tfjs's text changes.
 */
function tfjsWasmThreadsInBundles() {
  const file = /tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/;
  const edits = [
    ['if(typeof _scriptDir !== "undefined" && _scriptDir){scriptDirectory=_scriptDir}', ''],
    ['"urlOrBlob":Module["mainScriptUrlOrBlob"]||_scriptDir', '"urlOrBlob":Module["mainScriptUrlOrBlob"]'],
  ];
  return {
    name: 'cv:tfjs-wasm-threads-in-bundles',
    transform(code, id) {
      if (!file.test(id.split('?')[0])) return null;
      let out = code;
      for (const [from, to] of edits) {
        if (!out.includes(from))
          throw new Error(`cv:tfjs-wasm-threads-in-bundles: '${from}' not found in ${id}`);
        out = out.replace(from, to);
      }
      return { code: out, map: null };
    },
  };
}

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  plugins: [tfjsWasmThreadsInBundles()],
  server: { headers: isolation },
  // The dev server pre-bundles dependencies with Rolldown, outside Vite's plugin pipeline: patch there too.
  optimizeDeps: { rolldownOptions: { plugins: [tfjsWasmThreadsInBundles()] } },
  preview: { headers: isolation },
  resolve: {
    // One tfjs-core (one kernel and gradient registry) for the app and every @cv package.
    dedupe: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
    ],
  },
  build: {
    target: 'es2022',
    // tfjs-core alone is ~1 MB minified; the warning says nothing useful here.
    chunkSizeWarningLimit: 4096,
    assetsInlineLimit: 0,
  },
});
