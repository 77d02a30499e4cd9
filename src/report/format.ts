/**
 * How the report writes numbers and text: one place for units, digits and HTML escaping, so the
 * plots, tooltips, tables and metadata all say the same thing in the same way.
 */
import type { MetricName, ObjectiveName } from '../search/run-format.js';
import { OBJECTIVE_METRIC } from '../search/run-format.js';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// toLocaleString builds a formatter per call (~10 us); a report formats tens of thousands of numbers
const formatters = new Map<number, Intl.NumberFormat>();

/** Fixed digits with thousands separators (`12,345.6`); non-finite values as words. */
export function formatFixed(v: number, digits: number): string {
  if (Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  let f = formatters.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    formatters.set(digits, f);
  }
  return f.format(v);
}

export function formatInt(v: number): string {
  return formatFixed(Math.round(v), 0);
}

/** Three significant digits without exponent for ordinary magnitudes (`0.0123`, `4.56`, `789`, `12,300`). */
export function formatSignificant(v: number): string {
  if (!Number.isFinite(v) || v === 0) return formatFixed(v, 0);
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(a)));
  return formatFixed(v, digits);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${formatFixed(bytes / 1024 ** 3, 2)} GiB`;
  if (bytes >= 1024 ** 2) return `${formatFixed(bytes / 1024 ** 2, 2)} MiB`;
  if (bytes >= 1024) return `${formatFixed(bytes / 1024, 1)} KiB`;
  return `${formatInt(bytes)} B`;
}

export function formatDurationLong(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds < 60) return `${formatFixed(seconds, seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - 60 * m)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/** `2026-03-04 17:05 UTC` from an ISO date (the text itself when it is not a date). */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * A metric as the report shows it: the unit a value is divided into for display, chosen once per
 * run from the largest value so that an axis reads `12.3 µJ/frame`, not `12,300,000 pJ/frame`.
 */
export interface MetricDisplay {
  metric: MetricName;
  /** Axis and column title with its unit. */
  title: string;
  /** Short name for tooltips. */
  short: string;
  /** Displayed value = raw value / divisor. */
  divisor: number;
  unit: string;
  digits: number;
  sense: 'min' | 'max';
}

const SENSE: Record<MetricName, 'min' | 'max'> = {
  error: 'min',
  speedup: 'max',
  energy: 'min',
  memoryBytes: 'min',
  compression: 'max',
  eliminatedOps: 'max',
};

export function metricSense(metric: MetricName): 'min' | 'max' {
  return SENSE[metric];
}

export function metricOfObjective(objective: ObjectiveName): MetricName {
  return OBJECTIVE_METRIC[objective].metric;
}

/** The display of a metric given the largest absolute value it takes in this report. */
export function metricDisplay(metric: MetricName, largest: number): MetricDisplay {
  const sense = SENSE[metric];
  switch (metric) {
    case 'error':
      return { metric, title: 'PER (%)', short: 'PER', divisor: 1, unit: '%', digits: 2, sense };
    case 'speedup':
      return { metric, title: 'speedup (x vs all-16-bit)', short: 'speedup', divisor: 1, unit: 'x', digits: 2, sense };
    case 'compression':
      return { metric, title: 'compression (x vs fp32)', short: 'compression', divisor: 1, unit: 'x', digits: 2, sense };
    case 'eliminatedOps':
      return { metric, title: 'eliminated operations (%)', short: 'eliminated', divisor: 0.01, unit: '%', digits: 1, sense };
    case 'energy': {
      const [divisor, unit] = largest >= 1e6 ? [1e6, 'µJ'] : largest >= 1e3 ? [1e3, 'nJ'] : [1, 'pJ'];
      return { metric, title: `energy (${unit}/frame)`, short: 'energy', divisor, unit: `${unit}/frame`, digits: 3, sense };
    }
    case 'memoryBytes': {
      const [divisor, unit] = largest >= 1024 ** 2 ? [1024 ** 2, 'MiB'] : [1024, 'KiB'];
      return { metric, title: `memory (${unit})`, short: 'memory', divisor, unit, digits: 2, sense };
    }
  }
}

/** `12.34 %`, `3.20x`, `1.23 µJ/frame`, `2.50 MiB` */
export function formatMetric(display: MetricDisplay, raw: number | undefined): string {
  if (raw === undefined) return '—';
  const v = raw / display.divisor;
  const text = display.metric === 'energy' ? formatSignificant(v) : formatFixed(v, display.digits);
  return display.unit === 'x' ? `${text}x` : `${text} ${display.unit}`;
}
