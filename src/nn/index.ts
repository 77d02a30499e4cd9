export { parseArchitecture, resolveArchitecture, listMatrices, extraParameterCount, PRESETS, presetNames, presetArchitecture, CELL_TYPES } from './arch.js';
export type { Architecture, LayerSpec, ResolvedArchitecture, ResolvedLayer, MatrixInfo, MatrixKind, CellType, GruConvention } from './arch.js';
