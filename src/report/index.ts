/**
 * Reports a person reads: a run directory (or several, side by side) rendered into one self-contained
 * HTML page with Pareto plots (vega-lite, rendered to inline SVG in Node), a sortable table of the
 * front, the hypervolume per generation and the run's metadata; PNG copies of the plots via resvg.
 */
export {
  renderReport,
  renderComparisonReport,
  renderDemoReport,
  writeReport,
  writeComparisonReport,
  svgToPng,
} from './report.js';
export type { RenderReportOptions, RenderComparisonOptions, RenderedReport, ReportPlot, WriteReportOptions, WrittenReport } from './report.js';
export { readSectionFiles, parseSectionFile } from './sections.js';
export type { ReportSection, SectionCell } from './sections.js';
export { buildRunModel, staircase } from './model.js';
export type { RunReportModel, ReportSolution, PlotPair, RunStateSummary } from './model.js';
export { renderSvg, paretoPlotSpec, hypervolumePlotSpec, PLOT_CONFIG, FONT_STACK } from './plots.js';
export type { PlotSpec, RenderedSvg } from './plots.js';
