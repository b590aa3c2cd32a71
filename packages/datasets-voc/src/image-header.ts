/** Image sizes read from PNG and JPEG headers without decoding (to filter by size cheaply). */

/** `{ width, height }` of a PNG or JPEG from its header bytes, or undefined when the header is not readable. */
export function imageHeaderSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (
    bytes.length >= 24 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47
  ) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let o = 2;
    while (o + 9 < bytes.length) {
      if (bytes[o] !== 0xff) return undefined;
      const marker = bytes[o + 1]!;
      if (marker === 0xff) {
        o++;
        continue;
      }
      const len = (bytes[o + 2]! << 8) | bytes[o + 3]!;
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof)
        return { height: (bytes[o + 5]! << 8) | bytes[o + 6]!, width: (bytes[o + 7]! << 8) | bytes[o + 8]! };
      o += 2 + len;
    }
  }
  return undefined;
}
