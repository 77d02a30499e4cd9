/**
 * Progress reporting for long jobs: a bar with ETA on a terminal, plain log lines otherwise (CI logs,
 * pipes). Library code reports through the `Progress` interface it is given; the CLI decides where it
 * goes. The default (`silentProgress`) reports nothing, so library calls stay quiet unless asked.
 */
import cliProgress from 'cli-progress';

export interface ProgressFields {
  [key: string]: string | number;
}

export interface Progress {
  /** A job of `total` units starts; `label` names it ("epoch 3/20", "search"). */
  start(total: number, label: string, fields?: ProgressFields): void;
  /** `done` units are finished; fields are shown next to the bar (loss, hypervolume, ...). */
  update(done: number, fields?: ProgressFields): void;
  /** The job ended (successfully or not). */
  stop(): void;
  /** A line of information that should not disturb the bar. */
  log(message: string): void;
}

export const silentProgress: Progress = {
  start() {},
  update() {},
  stop() {},
  log() {},
};

function formatFields(fields: ProgressFields | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
    .join('  ');
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - 60 * m);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Plain lines to a stream, at most one update line every `intervalMs` (plus start and stop). */
export function lineProgress(stream: NodeJS.WritableStream = process.stderr, intervalMs = 5000): Progress {
  let total = 0;
  let label = '';
  let t0 = 0;
  let last = 0;
  let lastDone = 0;
  let lastFields: ProgressFields | undefined;
  const line = (done: number, fields?: ProgressFields) => {
    const elapsed = (Date.now() - t0) / 1000;
    const eta = done > 0 && total > 0 ? (elapsed * (total - done)) / done : NaN;
    const pct = total > 0 ? ` (${((100 * done) / total).toFixed(0)}%)` : '';
    const f = formatFields(fields);
    stream.write(`[${label}] ${done}/${total}${pct}  elapsed ${formatDuration(elapsed)}  eta ${formatDuration(eta)}${f ? `  ${f}` : ''}\n`);
  };
  return {
    start(n, l, fields) {
      total = n;
      label = l;
      t0 = Date.now();
      last = t0;
      lastDone = 0;
      lastFields = fields;
      stream.write(`[${label}] start: ${n} steps${fields ? `  ${formatFields(fields)}` : ''}\n`);
    },
    update(done, fields) {
      lastDone = done;
      if (fields) lastFields = { ...lastFields, ...fields };
      const now = Date.now();
      if (now - last >= intervalMs) {
        last = now;
        line(done, lastFields);
      }
    },
    stop() {
      line(lastDone, lastFields);
    },
    log(message) {
      stream.write(`${message}\n`);
    },
  };
}

/** A bar with ETA, for terminals. */
export function barProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  let bar: cliProgress.SingleBar | null = null;
  let fields: ProgressFields = {};
  return {
    start(total, label, f) {
      fields = { ...f };
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label} [{bar}] {percentage}% {value}/{total} | ETA {eta_formatted} | {fields}`,
          hideCursor: true,
          etaBuffer: 20,
          fps: 5,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { fields: formatFields(fields) });
    },
    update(done, f) {
      if (f) fields = { ...fields, ...f };
      bar?.update(done, { fields: formatFields(fields) });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
    log(message) {
      if (bar) {
        stream.write('\r\x1b[K');
        stream.write(`${message}\n`);
        bar.render();
      } else {
        stream.write(`${message}\n`);
      }
    },
  };
}

/** A bar on a terminal, plain lines otherwise. */
export function autoProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? barProgress(stream) : lineProgress(stream);
}
