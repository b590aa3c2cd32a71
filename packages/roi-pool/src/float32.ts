/**
 * torchvision's CPU kernels compute RoI geometry in the tensor's dtype (float32): bin edges, sample positions
 * and grid sizes are float32 results, and a float32 rounding can move a `floor`/`ceil` by one cell. Every
 * step here is a double operation on float32 inputs rounded back with `Math.fround`, which equals the
 * float32 operation for `+ − × ÷` (the double result rounds correctly to float32).
 */
export const f32 = Math.fround;

/** C's `round`: halves away from zero (JavaScript's `Math.round` rounds −2.5 to −2, C to −3). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
