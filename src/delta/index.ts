/**
 * Delta networks on quantized models: delta inference that skips the MACs of unchanged inputs (a
 * quantization hook on the quant module's integer-exact scheme), temporal sparsity and eliminated
 * operations, repeated evaluation for sweeps and the search, and the threshold sweep's front.
 */
export { DeltaHook, denseHook } from './hook.js';
export type { DeltaHookOptions, PartCounter } from './hook.js';
export { DeltaEvaluator } from './evaluator.js';
export type { DeltaEvaluatorOptions, DeltaResult } from './evaluator.js';
export { summarizeDelta, deltaSpeedup } from './stats.js';
export type { DeltaSummary, MatrixDelta, OperandDelta } from './stats.js';
export { parseThresholdSpec, formatThresholdSpec, resolveThresholds, uniformThresholds, thresholdCandidates, THRESHOLD_CANDIDATES } from './thresholds.js';
export type { ThresholdAssignment, ParseThresholdOptions } from './thresholds.js';
export { operandLevels, levelStep } from './operand.js';
export type { Levels } from './operand.js';
export { deltaSweep, deltaFront, deltaSweepSection, operandGroups } from './sweep.js';
export type { DeltaSweepOptions, DeltaSweepPoint, DeltaSweepResult, OperandGroup } from './sweep.js';
export { formatDeltaResult, formatDeltaSweep } from './format.js';
