/**
 * A small English sentence grammar over the lexicon: statements, negations, modals, copulas,
 * compound and subordinate clauses, yes/no and wh-questions, imperatives. Sentences are grammatical
 * but not necessarily sensible ("The greasy penguin polished a silver kettle."), like many of TIMIT's
 * prompts; what matters is natural English phonotactics, word lengths and phrase structure.
 */
import type { Rng } from '../../util/rng.js';
import type { Lexicon } from './lexicon.js';

export interface Sentence {
  /** Word forms in reading order, lower case as in a .WRD file. */
  words: string[];
  /** The prompt as written in a .TXT file: capitalised, with punctuation. */
  text: string;
  /** Phrase boundaries: `i` means a boundary follows `words[i]` (a comma, or a breath after a long subject). */
  breaks: number[];
  question: boolean;
}

type Token = { word: string; name?: boolean } | { punct: ',' | '.' | '?' } | { pause: true };

interface Phrase {
  tokens: Token[];
  plural: boolean;
  /** Subject person for agreement: 'I', 'you' and plurals take "were"/"are". */
  takesWere: boolean;
}

const FREQUENCY_ADVERBS = ['always', 'never', 'often', 'sometimes', 'usually', 'already', 'finally', 'suddenly'];
const SINGULAR_DETERMINERS: Array<[string, number]> = [
  ['the', 30], ['a', 16], ['this', 4], ['that', 4], ['every', 2], ['each', 2], ['one', 2], ['my', 4], ['your', 4],
  ['his', 4], ['her', 4], ['our', 3], ['their', 3], ['no', 1],
];
const PLURAL_DETERMINERS: Array<[string, number]> = [
  ['the', 24], ['these', 4], ['those', 4], ['some', 6], ['many', 3], ['few', 1], ['two', 3], ['three', 3], ['four', 2],
  ['five', 2], ['six', 1], ['several', 2], ['my', 3], ['your', 3], ['his', 2], ['her', 2], ['our', 2], ['their', 3],
];
const MASS_DETERMINERS: Array<[string, number]> = [['the', 6], ['some', 4], ['my', 1], ['your', 1], ['their', 1], ['', 4]];
const SUBJECT_PRONOUNS = ['i', 'you', 'he', 'she', 'we', 'they'];
const OBJECT_PRONOUNS = ['me', 'you', 'him', 'her', 'us', 'them', 'it'];
const MODALS = ['will', 'can', 'could', 'should', 'would', 'might', 'must'];
const NEGATIONS = ["didn't", "don't", "can't", "won't", "shouldn't"];
const CONJUNCTIONS = ['and', 'but', 'because', 'while', 'so', 'when', 'although', 'until', 'since'];
const SUBORDINATORS = ['when', 'after', 'before', 'because', 'while', 'although', 'since'];

function weighted<T>(rng: Rng, items: ReadonlyArray<readonly [T, number]>): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let r = rng.float() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return items[items.length - 1]![0];
}

export class SentenceGrammar {
  constructor(private readonly lex: Lexicon) {}

  /** One sentence of 3 to 16 words. */
  sentence(rng: Rng): Sentence {
    for (;;) {
      const tokens = this.sentenceTokens(rng);
      const s = finish(tokens);
      if (s.words.length >= 3 && s.words.length <= 16) return s;
    }
  }

  private sentenceTokens(rng: Rng): Token[] {
    const kind = weighted(rng, [
      ['transitive', 30], ['intransitive', 12], ['modal', 10], ['negative', 7], ['compound', 12], ['copula', 8],
      ['there', 5], ['yesno', 8], ['wh', 4], ['imperative', 4], ['subordinate', 5],
    ] as const);
    switch (kind) {
      case 'compound': {
        const conj = rng.pick(CONJUNCTIONS);
        return [...this.clause(rng), { punct: ',' }, { word: conj }, ...this.clause(rng), { punct: '.' }];
      }
      case 'subordinate': {
        const sub = rng.pick(SUBORDINATORS);
        return [{ word: sub }, ...this.clause(rng), { punct: ',' }, ...this.clause(rng), { punct: '.' }];
      }
      case 'yesno': {
        const aux = rng.pick(['did', 'can', 'will', 'should', 'could', 'would']);
        const subj = this.subject(rng);
        const verb = rng.pick(this.lex.vocabulary.transitive).base;
        return [{ word: aux }, ...subj.tokens, { word: verb }, ...this.object(rng).tokens, ...this.maybe(rng, 0.35, () => this.prepPhrase(rng)), { punct: '?' }];
      }
      case 'wh': {
        const wh = rng.pick(['where', 'why', 'when', 'how']);
        const aux = rng.pick(['did', 'will', 'can', 'should']);
        const subj = this.subject(rng);
        const verb = rng.pick(this.lex.vocabulary.transitive).base;
        return [{ word: wh }, { word: aux }, ...subj.tokens, { word: verb }, ...this.object(rng).tokens, { punct: '?' }];
      }
      case 'imperative': {
        const verb = rng.pick(this.lex.vocabulary.transitive).base;
        return [
          ...this.maybe(rng, 0.4, () => [{ word: 'please' }]),
          { word: verb },
          ...this.object(rng).tokens,
          ...this.maybe(rng, 0.6, () => this.prepPhrase(rng)),
          ...this.maybe(rng, 0.2, () => [{ word: rng.pick(this.lex.vocabulary.adverbs) }]),
          { punct: '.' },
        ];
      }
      default:
        return [...this.clause(rng, kind), { punct: '.' }];
    }
  }

  private clause(rng: Rng, kind?: 'transitive' | 'intransitive' | 'modal' | 'negative' | 'copula' | 'there'): Token[] {
    const k = kind ?? weighted(rng, [['transitive', 5], ['intransitive', 3], ['modal', 2], ['negative', 1], ['copula', 2]] as const);
    const v = this.lex.vocabulary;
    if (k === 'there') {
      const np = this.nounPhrase(rng, false);
      return [{ word: 'there' }, { word: np.plural ? 'were' : 'was' }, ...np.tokens, ...this.prepPhrase(rng)];
    }
    const subj = this.subject(rng);
    // A long subject is often followed by a breath: a phrase boundary without a comma.
    const afterSubject: Token[] = subj.tokens.length >= 4 && rng.bernoulli(0.35) ? [{ pause: true }] : [];
    const pre = (): Token[] => this.maybe(rng, 0.12, () => [{ word: rng.pick(FREQUENCY_ADVERBS) }]);
    const tail = (pPrep: number, pAdverb: number): Token[] => [
      ...this.maybe(rng, pPrep, () => this.prepPhrase(rng)),
      ...this.maybe(rng, pAdverb, () => [{ word: rng.pick(v.adverbs) }]),
    ];
    switch (k) {
      case 'transitive':
        return [...subj.tokens, ...afterSubject, ...pre(), { word: rng.pick(v.transitive).past }, ...this.object(rng).tokens, ...tail(0.45, 0.2)];
      case 'intransitive':
        return [...subj.tokens, ...afterSubject, ...pre(), { word: rng.pick(v.intransitive).past }, ...tail(0.65, 0.3)];
      case 'modal':
        return [...subj.tokens, ...afterSubject, { word: rng.pick(MODALS) }, { word: rng.pick(v.transitive).base }, ...this.object(rng).tokens, ...tail(0.35, 0.2)];
      case 'negative':
        return [...subj.tokens, ...afterSubject, { word: rng.pick(NEGATIONS) }, { word: rng.pick(v.transitive).base }, ...this.object(rng).tokens, ...tail(0.3, 0.15)];
      case 'copula': {
        const be = subj.takesWere ? rng.pick(['were', 'are']) : rng.pick(['was', 'is']);
        const adjectives: Token[] = [{ word: rng.pick(v.adjectives) }];
        if (rng.bernoulli(0.3)) adjectives.push({ word: 'and' }, { word: rng.pick(v.adjectives) });
        return [...subj.tokens, ...afterSubject, { word: be }, ...this.maybe(rng, 0.2, () => [{ word: 'very' }]), ...adjectives, ...tail(0.3, 0.1)];
      }
    }
  }

  private subject(rng: Rng): Phrase {
    const r = rng.float();
    if (r < 0.18) {
      const p = rng.pick(SUBJECT_PRONOUNS);
      return { tokens: [{ word: p }], plural: p === 'we' || p === 'they', takesWere: p === 'we' || p === 'they' || p === 'you' };
    }
    if (r < 0.34) return { tokens: [{ word: rng.pick(this.lex.vocabulary.names), name: true }], plural: false, takesWere: false };
    const np = this.nounPhrase(rng, rng.bernoulli(0.12));
    return { ...np, takesWere: np.plural };
  }

  private object(rng: Rng): Phrase {
    const r = rng.float();
    if (r < 0.1) return { tokens: [{ word: rng.pick(OBJECT_PRONOUNS) }], plural: false, takesWere: false };
    if (r < 0.2) return { tokens: [{ word: rng.pick(this.lex.vocabulary.names), name: true }], plural: false, takesWere: false };
    if (r < 0.32) return this.massPhrase(rng);
    return this.nounPhrase(rng, rng.bernoulli(0.08));
  }

  private massPhrase(rng: Rng): Phrase {
    const det = weighted(rng, MASS_DETERMINERS);
    const tokens: Token[] = det ? [{ word: det }] : [];
    if (rng.bernoulli(0.4)) tokens.push({ word: rng.pick(this.lex.vocabulary.adjectives) });
    tokens.push({ word: rng.pick(this.lex.vocabulary.massNouns) });
    return { tokens, plural: false, takesWere: false };
  }

  private nounPhrase(rng: Rng, withPrep: boolean): Phrase {
    const nouns = this.lex.vocabulary.nouns;
    let noun = rng.pick(nouns);
    const plural = rng.bernoulli(0.3) && noun.plural !== null;
    if (plural && !noun.plural) noun = nouns.find((n) => n.plural)!;
    let det = weighted(rng, plural ? PLURAL_DETERMINERS : SINGULAR_DETERMINERS);
    const modifiers: string[] = [];
    if (rng.bernoulli(0.5)) modifiers.push(rng.pick(this.lex.vocabulary.adjectives));
    if (modifiers.length && rng.bernoulli(0.12)) modifiers.push(rng.pick(this.lex.vocabulary.adjectives));
    const head = plural ? noun.plural! : noun.singular;
    const next = modifiers[0] ?? head;
    if (det === 'a' && this.lex.startsWithVowel(next)) det = 'an';
    const tokens: Token[] = [{ word: det }, ...modifiers.map((word) => ({ word })), { word: head }];
    if (withPrep) tokens.push(...this.prepPhrase(rng));
    return { tokens, plural, takesWere: plural };
  }

  private prepPhrase(rng: Rng): Token[] {
    const prep = rng.pick(this.lex.vocabulary.prepositions);
    const np = rng.bernoulli(0.15) ? { tokens: [{ word: rng.pick(this.lex.vocabulary.names), name: true }] } : rng.bernoulli(0.15) ? this.massPhrase(rng) : this.nounPhrase(rng, false);
    return [{ word: prep }, ...np.tokens];
  }

  private maybe(rng: Rng, p: number, make: () => Token[]): Token[] {
    return rng.bernoulli(p) ? make() : [];
  }
}

function finish(tokens: Token[]): Sentence {
  const words: string[] = [];
  const breaks: number[] = [];
  let text = '';
  let question = false;
  for (const t of tokens) {
    if ('word' in t) {
      let w = t.word;
      if (t.name || w === 'i') w = w[0]!.toUpperCase() + w.slice(1);
      if (words.length === 0) w = w[0]!.toUpperCase() + w.slice(1);
      text += (text ? ' ' : '') + w;
      words.push(t.word);
    } else if ('punct' in t) {
      text += t.punct;
      if (t.punct === '?') question = true;
      if (t.punct === ',' && words.length) breaks.push(words.length - 1);
    } else if (words.length && breaks[breaks.length - 1] !== words.length - 1) {
      breaks.push(words.length - 1);
    }
  }
  return { words, text, breaks, question };
}
