/**
 * Hardware cost models: the per-matrix inventory of an architecture, platforms as data (built-in and
 * user JSON, one schema), and the pure cost function that scores a genome on a platform.
 */
export { buildInventory, inventoryNames } from './inventory.js';
export type { Inventory, InventoryMatrix } from './inventory.js';
export { MIB, matrixBytes, modelBytes, fp32Bytes, extraBits, extrasBytes } from './memory.js';
export { platformSchema, parsePlatform, readPlatformFile, lookupPrecision, supportedPairs } from './platform.js';
export type { Platform, PlatformSpec, SpeedupSpec, AnalyticModel, FusionArrayModel, PrecisionTable } from './platform.js';
export { BUILTIN_PLATFORM_SPECS, builtinPlatform, builtinPlatformNames, loadPlatform } from './platforms/index.js';
export { platformCost, checkAssignment, formatMiB } from './cost.js';
export type { PlatformCost, MatrixCost } from './cost.js';
export { fusionArrayCosts, perfFactor, passes } from './fusion-array.js';
export type { FusionMatrixCost } from './fusion-array.js';
export { hwReport, formatHwReport, formatMatrixList } from './report.js';
export type { HwReport, HwReportMatrix } from './report.js';
export { loadArchitectureArgument, readModelArchitecture, readSafetensorsMetadata, ARCHITECTURE_METADATA_KEY } from './arch-source.js';
