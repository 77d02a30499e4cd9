export { runDemo, defaultData, defaultCacheDir, formatDemoSummary, DEFAULT_MODEL } from './demo.js';
export type { DemoOptions, DemoSummary, DeltaSweepSummary } from './demo.js';
