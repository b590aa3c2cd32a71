import { VOC_BORDER_COLOR, VOC_COLORMAP, VOC_IGNORE_INDEX } from '@cv/core';

export { VOC_BORDER_COLOR, VOC_COLORMAP, VOC_IGNORE_INDEX };

/** d2l's `VOC_CLASSES`: the 21 segmentation classes, index = label value (0 = background). */
export const VOC_CLASSES: readonly string[] = [
  'background',
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'potted plant',
  'sheep',
  'sofa',
  'train',
  'tv/monitor',
];

/**
 * The 20 object classes as VOC's `Annotations/*.xml` spell them (`<name>`), in label order: detection class
 * `c` (0-based, no background) is segmentation label `c + 1`.
 */
export const VOC_DETECTION_CLASSES: readonly string[] = [
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
];

/** What a VOCdevkit/VOC2012 folder holds (for error messages). */
export const VOC_LAYOUT_HINT =
  'a VOCdevkit/VOC2012 folder holds JPEGImages/<id>.jpg, SegmentationClass/<id>.png, Annotations/<id>.xml and ' +
  'ImageSets/Segmentation/{train,val,trainval}.txt and ImageSets/Main/{train,val,trainval}.txt (one id per line); ' +
  'generate one with synthesizeVoc(dir) in Node or `npx cv-datasets-voc synth-voc --out <dir>`';
