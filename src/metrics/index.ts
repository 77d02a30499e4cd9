export { editDistance } from './edit-distance.js';
export type { EditDistance } from './edit-distance.js';
export { viterbiAlign, viterbiPhoneLoop } from './viterbi.js';
export type { ViterbiOptions, PhoneLoopScores, PhoneAlignment } from './viterbi.js';
export { PhoneLoopDecoder, PHONE_LOOP_DEFAULTS } from './phone-loop.js';
export type { PhoneLoopOptions, PhoneLoopModel } from './phone-loop.js';
export { scorePhoneSequences, phoneErrorRate, frameErrors, frameErrorRate, argmaxRows, scoreFeatureSet, tunePhoneLoop } from './per.js';
export type { PhoneErrorResult, FrameErrorResult, ScoreOptions, SetScore, TuneResult } from './per.js';
