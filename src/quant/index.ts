export { parseBitsSpec, formatBitsSpec, uniformBits, KNOWN_BITS } from './bits-spec.js';
export type { MatrixBits, BitsAssignment, ParseBitsOptions } from './bits-spec.js';
