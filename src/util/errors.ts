/**
 * One error type and one error sentence for the whole library.
 *
 * The library throws `MohaqError`; only the CLI prints it and exits. Messages are one sentence that
 * names the file, the field or the flag, what was expected and what was found, so a user can act on
 * them without a stack trace.
 */

export type ErrorCode =
  | 'INVALID_ARGUMENT' // a value given by the caller (API option or CLI flag) is wrong
  | 'INVALID_FILE' // a file exists but its content is malformed or inconsistent
  | 'NOT_FOUND' // a file, tensor, utterance or name that was asked for does not exist
  | 'UNSUPPORTED' // valid input that mohaq does not handle (yet)
  | 'RESOURCE' // out of kernel memory, disk, ...
  | 'INTERRUPTED' // a long job was stopped; its checkpoint can be resumed
  | 'INTERNAL'; // a broken invariant: a bug in mohaq

export class MohaqError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MohaqError';
    this.code = code;
  }
}

/** Short printable form of a received value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const s = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(s);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${(value as unknown as { length: number }).length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/**
 * `Expected <what> for <name>[ in <file>] but received <value>`.
 * `name` is a field path (`layers[2].hidden`), a flag (`--bits`) or a tensor name.
 */
export function invalidParameter(name: string, expected: string, received: unknown, file?: string): MohaqError {
  const where = file ? ` in ${file}` : '';
  return new MohaqError('INVALID_ARGUMENT', `Expected ${expected} for ${name}${where} but received ${describeValue(received)}`);
}

/** A malformed file: `<file>: <what is wrong>` (the detail names the field, tensor or utterance). */
export function invalidFile(file: string, detail: string): MohaqError {
  return new MohaqError('INVALID_FILE', `${file}: ${detail}`);
}

export function notFound(what: string, detail?: string): MohaqError {
  return new MohaqError('NOT_FOUND', detail ? `${what} not found: ${detail}` : `${what} not found`);
}

/** Broken invariant; never caused by user input. */
export function internal(detail: string): MohaqError {
  return new MohaqError('INTERNAL', `internal error: ${detail}`);
}

export function assert(condition: unknown, detail: string): asserts condition {
  if (!condition) throw internal(detail);
}

export function isMohaqError(e: unknown): e is MohaqError {
  return e instanceof MohaqError;
}
