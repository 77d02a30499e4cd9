export { readSphere, writeSphere, readRiffWav, writeRiffWav, readAudio, parseSegments, formatSegments, parseTranscript, formatTranscript } from './timit/format.js';
export type { Audio, Segment } from './timit/format.js';
