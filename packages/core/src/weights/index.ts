/**
 * Safetensors weights, platform-neutral (browsers, workers, Node): parse and write the format, make
 * tf.Tensors of it, load from bytes, Blobs, Responses or URLs. Node's file and disk-cache functions are in
 * `src/node/weights-file.ts`.
 */
export {
  DTYPE_SIZE,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  tfDtypeOf,
} from './dtypes.js';
export {
  bfloat16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToHalfBits,
  halfBitsToFloat32,
} from './half.js';
export {
  type LoadSafetensorsOptions,
  loadSafetensors,
  WEIGHTS_CACHE_NAME,
  type WeightsCache,
  type WeightsCacheStorage,
  type WeightsProgress,
} from './load-safetensors.js';
export {
  MAX_HEADER_SIZE,
  type ParsedSafetensors,
  parseSafetensors,
  SafetensorsError,
  type SafetensorsTensor,
} from './parse-safetensors.js';
export {
  type SafetensorsInput,
  type SafetensorsTensorInput,
  type SerializeSafetensorsOptions,
  serializeSafetensors,
} from './serialize-safetensors.js';
export { toTensors } from './to-tensors.js';
