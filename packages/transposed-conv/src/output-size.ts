import { checkInt, type IntPair, toPair } from './args.js';

export interface ConvTranspose2dGeometry {
  /** Default 1. */
  stride?: IntPair;
  /** Zeros removed from both sides of the output ("implicit padding" in PyTorch's terms). Default 0. */
  padding?: IntPair;
  /** Extra rows/columns added at the bottom/right of the output; < stride or < dilation. Default 0. */
  outputPadding?: IntPair;
  /** Spacing between kernel taps. Default 1. */
  dilation?: IntPair;
}

/** Every geometric argument resolved to `[height, width]` pairs. */
export interface ResolvedGeometry {
  kernelSize: [number, number];
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
}

/** Resolves and validates the geometry (PyTorch's rules, with errors that name the argument). */
export function resolveGeometry(
  where: string,
  kernelSize: IntPair,
  options: ConvTranspose2dGeometry,
): ResolvedGeometry {
  const g: ResolvedGeometry = {
    kernelSize: toPair(where, 'kernelSize', kernelSize, 1),
    stride: toPair(where, 'stride', options.stride ?? 1, 1),
    padding: toPair(where, 'padding', options.padding ?? 0, 0),
    outputPadding: toPair(where, 'outputPadding', options.outputPadding ?? 0, 0),
    dilation: toPair(where, 'dilation', options.dilation ?? 1, 1),
  };
  for (const a of [0, 1] as const) {
    const op = g.outputPadding[a];
    const s = g.stride[a];
    const d = g.dilation[a];
    if (op >= s && op >= d) {
      throw new Error(
        `${where}: outputPadding ${JSON.stringify(options.outputPadding)} must be smaller than the stride or the dilation ` +
          `in each axis (PyTorch's rule), but the ${a === 0 ? 'height' : 'width'} has outputPadding ${op}, stride ${s}, dilation ${d}: ` +
          `output padding only adds the rows a stride (or dilation) step leaves ambiguous`,
      );
    }
  }
  return g;
}

/** One axis: `(in − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1`. */
export function outputLength(n: number, k: number, s: number, p: number, op: number, d: number): number {
  return (n - 1) * s - 2 * p + d * (k - 1) + op + 1;
}

/**
 * The output height and width of `ConvTranspose2d` (PyTorch's formula, per axis):
 * `H_out = (H_in − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1`.
 *
 * @param inputSize `[H_in, W_in]` (or one integer for both)
 * @param kernelSize integer or `[kh, kw]`
 * @returns `[H_out, W_out]`; throws if an axis would be smaller than 1 (PyTorch refuses such layers too)
 *
 * @example convTranspose2dOutputSize([10, 15], 64, { stride: 32, padding: 16 }) // [320, 480], the FCN head
 */
export function convTranspose2dOutputSize(
  inputSize: IntPair,
  kernelSize: IntPair,
  options: ConvTranspose2dGeometry = {},
): [number, number] {
  const where = 'convTranspose2dOutputSize';
  const [h, w] = toPair(where, 'inputSize', inputSize, 1);
  const g = resolveGeometry(where, kernelSize, options);
  return checkOutputSize(where, [h, w], g);
}

export function checkOutputSize(
  where: string,
  input: readonly [number, number],
  g: ResolvedGeometry,
): [number, number] {
  const out = [0, 1].map((a) =>
    outputLength(
      input[a]!,
      g.kernelSize[a]!,
      g.stride[a]!,
      g.padding[a]!,
      g.outputPadding[a]!,
      g.dilation[a]!,
    ),
  ) as [number, number];
  if (out[0] < 1 || out[1] < 1) {
    throw new Error(
      `${where}: the output would be ${out[0]}x${out[1]} for input ${input[0]}x${input[1]}, kernel [${g.kernelSize}], ` +
        `stride [${g.stride}], padding [${g.padding}], outputPadding [${g.outputPadding}], dilation [${g.dilation}]; ` +
        `padding removes more than the transposed convolution produces`,
    );
  }
  return out;
}

/**
 * The output padding that makes a layer produce `outputSize` (PyTorch's `ConvTranspose2d.forward(x, output_size)`):
 * `outputSize − minimum`, where the allowed sizes are minimum … minimum + stride − 1 per axis.
 */
export function outputPaddingFor(
  where: string,
  inputSize: readonly [number, number],
  outputSize: IntPair,
  g: Omit<ResolvedGeometry, 'outputPadding'>,
): [number, number] {
  const size = toPair(where, 'outputSize', outputSize, 1);
  return [0, 1].map((a) => {
    const min = outputLength(inputSize[a]!, g.kernelSize[a]!, g.stride[a]!, g.padding[a]!, 0, g.dilation[a]!);
    const max = min + g.stride[a]! - 1;
    const want = size[a]!;
    checkInt(where, 'outputSize', want, 1);
    if (want < min || want > max) {
      throw new Error(
        `${where}: outputSize [${size}] is not reachable: for input ${inputSize[0]}x${inputSize[1]} the ${a === 0 ? 'height' : 'width'} ` +
          `can be ${min} to ${max} (stride ${g.stride[a]}), got ${want}`,
      );
    }
    return want - min;
  }) as [number, number];
}
