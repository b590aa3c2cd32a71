// @cv/core image: pixels ⇄ tensors, drawing boxes and text, palettes and label maps, image grids, browser
// codecs and a palette-PNG codec (platform-neutral; Node file IO is in src/node/image-file.ts).
export { drawText, GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, textHeight, textWidth } from './bitmap-font.js';
export { decodeImage, type EncodeImageOptions, encodeImage, encodePng } from './browser-codec.js';
export {
  type ColorizeOptions,
  colorizeLabels,
  type LabelsFromColorsOptions,
  labelsFromColors,
} from './colorize-labels.js';
export {
  type BoxesSvgOptions,
  type BoxPlacement,
  boxesSvg,
  DEFAULT_BOX_COLORS,
  type DrawBoxesOptions,
  drawBoxes,
  layoutBoxes,
} from './draw-boxes.js';
export {
  type GridLayout,
  gridLayout,
  gridTitlesSvg,
  type ImageGridOptions,
  imageGrid,
} from './image-grid.js';
export { crc32, decodeIndexedPng, encodeIndexedPng, type IndexedPng, type ZlibFn } from './indexed-png.js';
export { VOC_BORDER_COLOR, VOC_COLORMAP, VOC_IGNORE_INDEX, vocPalette } from './palette.js';
export {
  convertChannels,
  type ImageToTensorOptions,
  imageToTensor,
  type PixelImage,
  type PixelImageLike,
  type Rgb,
  type TensorToImageOptions,
  tensorToImage,
  tensorToImageSync,
  toPixelImage,
  toRgbPixels,
} from './pixels.js';
export { cssRgb, escapeXml, svgDocument } from './svg.js';
