/**
 * Pascal VOC detection AP and mAP: the matching of py-faster-rcnn's `voc_eval.py` (the code behind the
 * published VOC07 results) with VOC07's 11-point AP or the all-point (VOC2010+) AP, checked against a Python
 * transcription of it (`fixtures/voc_eval_reference.py`).
 */

/** A box `[x1, y1, x2, y2]` (VOC pixels with `plusOne`, or normalized corners without). */
export type Box = readonly [number, number, number, number] | readonly number[];

/** One detection of one class. */
export interface Detection {
  imageId: string;
  score: number;
  box: Box;
}

/** The ground truth of one class in one image. */
export interface ClassGroundTruth {
  boxes: readonly Box[];
  /** Difficult objects are neither required (not in the positives) nor penalised when detected. */
  difficult?: readonly boolean[];
}

export interface VocEvalOptions {
  /** A detection matches when IoU > this. Default 0.5. */
  iouThreshold?: number;
  /** true (default): VOC07's 11-point interpolated AP; false: area under the precision envelope (VOC2010+). */
  use07Metric?: boolean;
  /**
   * Add 1 to widths and heights (VOC's inclusive pixel coordinates, as `voc_eval.py`). Default true; pass
   * false for normalized corner boxes.
   */
  plusOne?: boolean;
}

export interface ClassEvalResult {
  /** Average precision; NaN when the class has no non-difficult ground truth. */
  ap: number;
  /** Cumulative recall and precision after each detection, in score order. */
  recall: Float64Array;
  precision: Float64Array;
  /** Non-difficult ground-truth objects. */
  npos: number;
  tp: number;
  fp: number;
}

/**
 * `voc_ap(rec, prec, use_07_metric)`: 11-point AP (max precision at recall ≥ t for t = 0, 0.1, …, 1, averaged)
 * or, without `use07Metric`, the area under the monotone precision envelope at the points where recall changes.
 */
export function vocAp(recall: ArrayLike<number>, precision: ArrayLike<number>, use07Metric = true): number {
  if (recall.length !== precision.length)
    throw new Error(`vocAp: recall has ${recall.length} values but precision ${precision.length}`);
  const n = recall.length;
  if (use07Metric) {
    let ap = 0;
    for (let k = 0; k < 11; k++) {
      const t = k * 0.1; // the same doubles as numpy.arange(0, 1.1, 0.1)
      let p = 0;
      let any = false;
      for (let i = 0; i < n; i++)
        if (recall[i]! >= t) {
          any = true;
          if (precision[i]! > p) p = precision[i]!;
        }
      ap += (any ? p : 0) / 11;
    }
    return ap;
  }
  const mrec = [0, ...Array.from(recall), 1];
  const mpre = [0, ...Array.from(precision), 0];
  for (let i = mpre.length - 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1]!, mpre[i]!);
  let ap = 0;
  for (let i = 0; i < mrec.length - 1; i++)
    if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1]! - mrec[i]!) * mpre[i + 1]!;
  return ap;
}

/**
 * AP of one class: detections sorted by score (stable, highest first) are matched greedily to the unmatched
 * ground truth of their image with the highest IoU; IoU > threshold with a non-difficult box is a true
 * positive (a second detection of the same box is a false positive), with a difficult box neither.
 *
 * @param groundTruth by image id; images missing from it have no objects of this class.
 */
export function vocEvalClass(
  detections: readonly Detection[],
  groundTruth: ReadonlyMap<string, ClassGroundTruth> | Readonly<Record<string, ClassGroundTruth>>,
  options: VocEvalOptions = {},
): ClassEvalResult {
  const fn = 'vocEvalClass';
  const thr = options.iouThreshold ?? 0.5;
  const use07 = options.use07Metric ?? true;
  const one = (options.plusOne ?? true) ? 1 : 0;
  const gtMap: ReadonlyMap<string, ClassGroundTruth> =
    groundTruth instanceof Map ? groundTruth : new Map(Object.entries(groundTruth));
  let npos = 0;
  const used = new Map<string, Uint8Array>();
  for (const [id, g] of gtMap) {
    if (!g || !Array.isArray(g.boxes))
      throw new Error(`${fn}: groundTruth['${id}'].boxes must be an array of boxes`);
    if (g.difficult && g.difficult.length !== g.boxes.length)
      throw new Error(
        `${fn}: groundTruth['${id}'] has ${g.boxes.length} boxes but ${g.difficult.length} difficult flags`,
      );
    g.boxes.forEach((b, i) => {
      if (!Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite))
        throw new Error(
          `${fn}: groundTruth['${id}'].boxes[${i}] must be 4 finite numbers [x1, y1, x2, y2], got ${JSON.stringify(b)}`,
        );
      if (!g.difficult?.[i]) npos++;
    });
    used.set(id, new Uint8Array(g.boxes.length));
  }
  detections.forEach((d, i) => {
    if (
      !d ||
      typeof d.imageId !== 'string' ||
      !Number.isFinite(d.score) ||
      !Array.isArray(d.box) ||
      d.box.length !== 4
    )
      throw new Error(
        `${fn}: detections[${i}] must be { imageId: string, score: number, box: [x1, y1, x2, y2] }, got ${JSON.stringify(d)}`,
      );
  });
  const order = detections.map((_, i) => i).sort((a, b) => detections[b]!.score - detections[a]!.score);
  const nd = order.length;
  const recall = new Float64Array(nd);
  const precision = new Float64Array(nd);
  let tp = 0;
  let fp = 0;
  order.forEach((di, k) => {
    const d = detections[di]!;
    const g = gtMap.get(d.imageId);
    const bb = d.box;
    let ovmax = Number.NEGATIVE_INFINITY;
    let jmax = -1;
    if (g) {
      const areaD = (bb[2]! - bb[0]! + one) * (bb[3]! - bb[1]! + one);
      g.boxes.forEach((gb, j) => {
        const iw = Math.max(Math.min(gb[2]!, bb[2]!) - Math.max(gb[0]!, bb[0]!) + one, 0);
        const ih = Math.max(Math.min(gb[3]!, bb[3]!) - Math.max(gb[1]!, bb[1]!) + one, 0);
        const inter = iw * ih;
        const ov = inter / (areaD + (gb[2]! - gb[0]! + one) * (gb[3]! - gb[1]! + one) - inter);
        if (ov > ovmax) {
          ovmax = ov;
          jmax = j;
        }
      });
    }
    if (ovmax > thr && g) {
      if (!g.difficult?.[jmax]) {
        const u = used.get(d.imageId)!;
        if (!u[jmax]) {
          tp++;
          u[jmax] = 1;
        } else fp++;
      }
    } else fp++;
    recall[k] = tp / npos;
    precision[k] = tp / Math.max(tp + fp, Number.EPSILON);
  });
  return { ap: npos === 0 ? Number.NaN : vocAp(recall, precision, use07), recall, precision, npos, tp, fp };
}

/** One image's annotation: objects with a class index, a box and a difficult flag. */
export interface ImageAnnotation {
  imageId: string;
  objects: readonly { cls: number; box: Box; difficult?: boolean }[];
}

/** A detection with its class index. */
export interface ClassDetection extends Detection {
  cls: number;
}

export interface VocEvaluation {
  /** AP per class (NaN for a class without non-difficult ground truth). */
  ap: number[];
  /** Mean of the APs that are not NaN. */
  mAP: number;
  perClass: ClassEvalResult[];
}

/**
 * VOC mAP over `numClasses` classes: {@link vocEvalClass} on each class's detections and ground truth, and the
 * mean AP over the classes that have ground truth. Images are those of `annotations` (detections on other ids
 * count as false positives).
 */
export function vocEvaluate(
  detections: readonly ClassDetection[],
  annotations: readonly ImageAnnotation[],
  numClasses: number,
  options: VocEvalOptions = {},
): VocEvaluation {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new Error(`vocEvaluate: numClasses must be an integer ≥ 1, got ${numClasses}`);
  const perClass: ClassEvalResult[] = [];
  for (let c = 0; c < numClasses; c++) {
    const gt = new Map<string, { boxes: Box[]; difficult: boolean[] }>();
    for (const a of annotations) {
      const boxes: Box[] = [];
      const difficult: boolean[] = [];
      a.objects.forEach((o, i) => {
        if (!Number.isInteger(o.cls) || o.cls < 0 || o.cls >= numClasses)
          throw new Error(
            `vocEvaluate: annotation '${a.imageId}' object ${i} has class ${o.cls}, outside [0, ${numClasses - 1}]`,
          );
        if (o.cls === c) {
          boxes.push(o.box);
          difficult.push(!!o.difficult);
        }
      });
      gt.set(a.imageId, { boxes, difficult });
    }
    const dets = detections.filter((d) => d.cls === c);
    perClass.push(vocEvalClass(dets, gt, options));
  }
  const ap = perClass.map((r) => r.ap);
  const valid = ap.filter((v) => !Number.isNaN(v));
  return { ap, mAP: valid.length ? valid.reduce((s, v) => s + v, 0) / valid.length : Number.NaN, perClass };
}
