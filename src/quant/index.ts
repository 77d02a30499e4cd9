export { parseBitsSpec, formatBitsSpec, uniformBits, KNOWN_BITS } from './bits-spec.js';
export type { MatrixBits, BitsAssignment, ParseBitsOptions } from './bits-spec.js';
export { resolveQuantOptions, parseSkipCandidate, CLIP_METHODS } from './options.js';
export type { QuantOptions, ResolvedQuantOptions, ClipMethod } from './options.js';
export {
  INTEGER_BITS,
  HISTOGRAM_BINS,
  MMSE_STEPS,
  absHistogram,
  histogramMse,
  mmseClipFromHistogram,
  mmseClip,
  percentile,
  median,
  maxAbs,
  qIntegerBits,
  qFractionBits,
  clipOf,
} from './quantizer.js';
export type { AbsHistogram, IntegerBits } from './quantizer.js';
export { weightParams, fakeQuantizeWeights, weightCodes, weightVariantName } from './weights.js';
export type { WeightQuantizer, WeightParams, WeightCodes } from './weights.js';
export { activationQuant, asymmetricQuant, fakeQuantizeActivations, integerActivations } from './activations.js';
export type { ActivationQuant, IntegerOperand } from './activations.js';
export {
  calibrate,
  cachedCalibration,
  calibrationCachePath,
  saveCalibration,
  loadCalibration,
  modelHash,
  operandName,
  setFingerprint,
  CALIBRATION_FORMAT,
  CALIBRATION_VERSION,
} from './calibration.js';
export type { Calibration, OperandStats, RecurrenceStats, CalibrateOptions, CachedCalibrationOptions } from './calibration.js';
export { createQuantHook, QuantizationHook, resolveBits, isFloatAssignment } from './hook.js';
export { evaluateModel, DEFAULT_BATCH_FRAMES } from './evaluate.js';
export type { EvaluateOptions, EvaluationResult } from './evaluate.js';
export { scoreBatch, SetScorer } from './scoring.js';
export type { BatchScore, ScoredBatch } from './scoring.js';
export { resolveDecoder, decoderFromMetadata, DECODER_METADATA_KEY } from './decoder.js';
export { optSubset, optSubsetIndices, OPT_SUBSET_SIZE, OPT_SUBSET_SEED } from './subset.js';
export type { OptSubsetOptions } from './subset.js';
export { modelSize, formatModelSize } from './size.js';
export type { ModelSize, MatrixSize } from './size.js';
export { storeSplit, storeCalibration } from './store.js';
export type { StoreCalibrationOptions } from './store.js';
export { GenomeEvaluator, createGenomePool } from './genome.js';
export type { GenomeEvaluatorOptions, GenomeResult, GenomeEvaluatorStats } from './genome.js';
export { quantizeModel, storedQuantization, storedQuantHook, QUANTIZATION_METADATA_KEY, QUANTIZATION_FORMAT } from './quantize-model.js';
export type { StoredQuantization, StoredWeightParams } from './quantize-model.js';
