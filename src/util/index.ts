export { MohaqError, invalidParameter, invalidFile, notFound, internal, assert, isMohaqError, describeValue } from './errors.js';
export type { ErrorCode } from './errors.js';
export { Rng, hashString } from './rng.js';
export type { RngState } from './rng.js';
export { writeFileAtomic, writeJsonAtomic, readFileOrThrow, readJson } from './fsx.js';
export { silentProgress, lineProgress, barProgress, autoProgress, formatDuration } from './progress.js';
export type { Progress, ProgressFields } from './progress.js';
export { VERSION } from './version.js';
export { spawnWorker, workerEntry, siblingModule } from './workers.js';
