/**
 * Which phone loop scores a model's PER. A trained model carries its own (tuned on dev by the trainer)
 * in the model file's metadata `mohaq.decoder`, as the metrics module's JSON form
 * (`PhoneLoopDecoder.toJSON()`: `{ model: { numPhones, bigram, initial, final, logPriors }, options:
 * { acousticScale, insertionPenalty, usePriors, priorScale, minDuration } }`); without it the loop is
 * estimated from the store's train split with the metrics defaults.
 */
import { z } from 'zod';
import { PhoneLoopDecoder } from '../metrics/phone-loop.js';
import type { PhoneLoopModel, PhoneLoopOptions } from '../metrics/phone-loop.js';
import type { FeatureStore } from '../data/store/store.js';
import type { Model } from '../nn/model.js';
import { MohaqError } from '../util/errors.js';

const numbers = z.array(z.number());
const decoderSchema = z.object({
  model: z.object({ numPhones: z.number().int().min(1), bigram: numbers, initial: numbers, final: numbers, logPriors: numbers }),
  options: z
    .object({ acousticScale: z.number(), insertionPenalty: z.number(), usePriors: z.boolean(), priorScale: z.number(), minDuration: z.number().int() })
    .partial()
    .optional(),
});

/** The metadata key of a model file that holds its phone loop. */
export const DECODER_METADATA_KEY = 'mohaq.decoder';

/** The phone loop stored in the model's metadata, or null when it has none. `file` names the model in errors. */
export function decoderFromMetadata(model: Model, file = 'the model'): PhoneLoopDecoder | null {
  const text = model.metadata[DECODER_METADATA_KEY];
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new MohaqError('INVALID_FILE', `${file}: metadata "${DECODER_METADATA_KEY}" is not valid JSON (${(e as Error).message})`);
  }
  const r = decoderSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new MohaqError('INVALID_FILE', `${file}: metadata "${DECODER_METADATA_KEY}": ${issue.path.join('.') || '(root)'}: ${issue.message} (expected PhoneLoopDecoder.toJSON(): { model: { numPhones, bigram, initial, final, logPriors }, options })`);
  }
  const P = model.arch.output;
  const m = r.data.model as PhoneLoopModel;
  if (m.numPhones !== P) throw new MohaqError('INVALID_FILE', `${file}: metadata "${DECODER_METADATA_KEY}": expected a phone loop over the model's ${P} outputs but found ${m.numPhones} phones`);
  try {
    return new PhoneLoopDecoder(m, (r.data.options ?? {}) as Partial<PhoneLoopOptions>);
  } catch (e) {
    throw new MohaqError('INVALID_FILE', `${file}: metadata "${DECODER_METADATA_KEY}": ${(e as Error).message}`);
  }
}

/** The model's own phone loop, else one estimated from the store's train split (metrics defaults). */
export function resolveDecoder(model: Model, store: FeatureStore | null, file?: string): PhoneLoopDecoder {
  const own = decoderFromMetadata(model, file);
  if (own) return own;
  if (!store) throw new MohaqError('INVALID_ARGUMENT', `${file ?? 'the model'} has no "${DECODER_METADATA_KEY}" metadata, so a feature store with a train split is needed to estimate the phone loop`);
  if (!store.splitNames.includes('train')) {
    throw new MohaqError('NOT_FOUND', `${store.dir}: the store has no train split to estimate the phone loop from (and ${file ?? 'the model'} has no "${DECODER_METADATA_KEY}" metadata)`);
  }
  return PhoneLoopDecoder.fromFeatureSet(store.split('train'));
}
