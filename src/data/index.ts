export { readSphere, writeSphere, readRiffWav, writeRiffWav, readAudio, parseSegments, formatSegments, parseTranscript, formatTranscript } from './timit/format.js';
export type { Audio, Segment } from './timit/format.js';
export { readNpy, writeNpy, readNpz, writeNpz, npyToFloat32, npyToInt32, halfToFloat, shapeSize } from './npy.js';
export type { NpyArray, NpyDtype, NpyData } from './npy.js';
export {
  PHONES61,
  PHONES48,
  PHONES39,
  MAP61TO48,
  MAP48TO39,
  PHONE61_INDEX,
  PHONE48_INDEX,
  PHONE39_INDEX,
  FOLD48TO39_INDEX,
  fold61to48,
  fold48to39,
  foldIndices48to39,
  phoneTo48,
} from './phones.js';
export { DEV_SPEAKERS, CORE_TEST_SPEAKERS, SPLITS_FILE, loadSpeakerSplits } from './timit/splits.js';
export type { SpeakerSplits } from './timit/splits.js';
export { scanTimit, findTimitRoot, timitSplits, frameLabels, referencePhones, SPLIT_NAMES } from './timit/corpus.js';
export type { TimitCorpus, TimitUtterance, TimitPart, SplitName } from './timit/corpus.js';
export {
  FeatureExtractor,
  computeFbank,
  computeMfcc,
  melBanks,
  melScale,
  inverseMelScale,
  windowFunction,
  dctMatrix,
  cepstralLifter,
  frameGeometry,
  numFrames,
  frameStart,
  FBANK_DEFAULTS,
  MFCC_DEFAULTS,
} from './features/fbank.js';
export type { FbankOptions, MfccOptions, FeatureOptions, FrameOptions, MelOptions, MelBanks, FeatureMatrix, WindowType } from './features/fbank.js';
export { applyCmvn, CMVN_KINDS } from './features/cmvn.js';
export type { CmvnKind } from './features/cmvn.js';
export { createFeatureSet, subsetFeatureSet, collapseLabels } from './store/feature-set.js';
export type { FeatureSet, FeatureSetArrays, UtteranceInfo, LabelKind } from './store/feature-set.js';
export { loadFeatureStore, readStoreIndex, writeStoreSplit, writeStoreIndex, phone48Labels, STORE_FORMAT, STORE_VERSION, STORE_INDEX } from './store/store.js';
export type { FeatureStore, StoreIndex, StoreSplitEntry, SplitArrays } from './store/store.js';
export { buildStoreFromTimit, processTimitUtterance, concatUtterances } from './store/build-timit.js';
export type { TimitStoreOptions, UtteranceData } from './store/build-timit.js';
export { makeBatches, makeBatch, planBatches } from './batch.js';
export type { Batch, BatchOptions } from './batch.js';
export { buildStoreFromKaldi } from './store/build-kaldi.js';
export type { KaldiStoreOptions, KaldiStoreReport } from './store/build-kaldi.js';
export { buildStoreFromNumpy } from './store/build-numpy.js';
export type { NumpyStoreOptions } from './store/build-numpy.js';
export { readNumpyUtterances } from './numpy-utterances.js';
export type { NumpyUtterance, NumpyUtterances } from './numpy-utterances.js';
export { readArk, readArkMap, readKaldiObject, writeArk, encodeKaldiObject, maybeGunzip } from './kaldi/ark.js';
export type { KaldiObject, KaldiFormat, ArkEntry, WriteOptions as KaldiWriteOptions } from './kaldi/ark.js';
export { readCompressed, writeCompressed } from './kaldi/compressed.js';
export type { CompressedFormat } from './kaldi/compressed.js';
export { parseScp, readScp, readTable, resolveScpPath } from './kaldi/scp.js';
export type { ScpEntry } from './kaldi/scp.js';
export { parseSymbolTable, phoneIdMap, parseUtt2spk, parseKaldiText } from './kaldi/tables.js';
export { inspectSource, formatInspectReport } from './inspect.js';
export type { InspectReport, InspectFigures, SourceKind } from './inspect.js';
export { synthesizeCorpus, resolveSynthOptions, SYNTH_DEFAULTS, DIFFICULTY_KNOBS, planCorpus, synthesizeUtterance, spectrogramPng, spectrogramSvg, renderSpectrogramFile } from './synth/index.js';
export type { SynthOptions, ResolvedSynthOptions, SynthCorpusSummary, SynthRunOptions } from './synth/index.js';
