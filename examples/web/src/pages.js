// The pages, one per package example. Adding one: a module in src/pages/ that exports
// `async function run(ctx)` (see src/lib/context.js for ctx) and returns the numbers the end-to-end test
// checks, an entry here, and its expectations in e2e/expectations.mjs.
// `load` is a dynamic import, so each page (and the package it shows) is its own chunk.
export const PAGES = [
  {
    id: 'anchors',
    title: 'Anchor boxes and non-maximum suppression',
    pkg: '@cv/anchors',
    summary:
      'd2l §13.4 on a photo: anchors at one pixel and at three scales, anchors labelled for hand-drawn boxes, and NMS of noisy predictions.',
    load: () => import('./pages/anchors.js'),
  },
  {
    id: 'transposed-conv',
    title: 'Transposed convolution',
    pkg: '@cv/transposed-conv',
    summary:
      "d2l §13.10's examples, convolution as a matrix product, and a photo upsampled 2x by a ConvTranspose2d with the bilinear kernel.",
    load: () => import('./pages/transposed-conv.js'),
  },
  {
    id: 'roi-pool',
    title: 'RoI pooling and RoI align',
    pkg: '@cv/roi-pool',
    summary:
      "The seed's roi_pool example with its gradient, then RoIs pooled from a feature map of a photo (RoI pool and RoI align, 7x7).",
    load: () => import('./pages/roi-pool.js'),
  },
  {
    id: 'core-train',
    title: 'Training a small conv net',
    pkg: '@cv/core',
    summary:
      "@cv/core's modules, Adam and the WASM training kernels: a conv net learns an edge detector in the page, with a live loss curve.",
    load: () => import('./pages/core-train.js'),
  },
  {
    id: 'ssd',
    title: 'Single shot multibox detection (TinySSD)',
    pkg: '@cv/ssd',
    summary:
      "d2l's TinySSD trained in the page on banana-style scenes (or weights saved by the Node example, ?weights=), then detection with NMS.",
    load: () => import('./pages/ssd.js'),
  },
  {
    id: 'fcn',
    title: 'Semantic segmentation with a fully convolutional network',
    pkg: '@cv/fcn',
    summary:
      'ResNet-18 FCN (random weights offline, or ?weights=): a few training steps on synthetic VOC scenes, then predict() and label2image() on a scene and a photo.',
    load: () => import('./pages/fcn.js'),
  },
  {
    id: 'style-transfer',
    title: 'Neural style transfer',
    pkg: '@cv/style-transfer',
    summary:
      'Gatys et al. on VGG-19 features (random weights offline, or ?weights=): a few dozen steps at a small size with a live preview.',
    load: () => import('./pages/style-transfer.js'),
  },
];
