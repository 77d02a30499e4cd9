/**
 * The synthesizer's English vocabulary, by part of speech, and the pronunciations of its words from the
 * CMU Pronouncing Dictionary (the `cmu-pronouncing-dictionary` package: ARPAbet with stress digits,
 * alternative pronunciations as `word(2)`, `word(3)`, ...).
 *
 * The word lists are fixed here, not drawn from the dictionary, so that sentences read like everyday
 * English and the corpus is the same for every seed-independent choice. Every word form must be in the
 * dictionary; `loadLexicon` fails loudly otherwise (a test checks the whole vocabulary).
 */
import { MohaqError } from '../../util/errors.js';

const words = (list: string): string[] => list.trim().split(/\s+/);
const pairs = (list: string): Array<[string, string]> => words(list).map((p) => p.split(':') as [string, string]);

/** Countable nouns; the regular plural is used when the dictionary has it. */
const NOUNS = words(`
  apple arm baby bag ball band bank basket bath beach bean bear bed bell bench bicycle bird blanket boat
  body book bottle box boy bridge brother brush bucket building bus button cabin cake camera camp
  candle car card carpet cart cat chair cherry chicken church circle city clock cloud coat coin collar
  corner cottage country cousin cow cup curtain daughter desk dinner doctor dog doll door dragon drawer
  dress drum duck egg engine farm farmer father feather fence field finger fire flag floor flower forest
  fork fox friend frog garage garden gate gift girl glass glove goat guitar hammer hand hat head hill
  horse hospital house island jacket jar jewel judge kettle key king kitchen kitten ladder lake lamp
  lawyer lemon letter library lion lunch machine map market meadow meeting mirror monkey moon morning
  mother mountain museum nail neighbor nest newspaper night nurse ocean office orange oven owner package
  page pail painter paper parrot party pen pencil piano picture pie pig pillow pilot plane plate pocket
  pond potato puppy queen rabbit radio river road rock roof room rope sailor salad saucer school seat
  shell ship shirt shoe shop shoulder singer sister sky soldier spoon square stone store storm stove
  street student suit summer table tailor teacher television tent ticket tiger tomato towel tower town
  toy train treasure tree truck tunnel turtle umbrella uncle valley village violin wagon wall watch wheel
  window winter worker yard zebra decision vision closet kennel whistle needle pebble puzzle saddle
  thimble cradle lantern ribbon wallet helmet jungle cushion mushroom dinosaur giraffe elephant penguin
  squirrel evening ceiling wedding pudding painting stocking ring wing swing string spring
`);

const IRREGULAR_PLURALS = pairs(`
  child:children foot:feet tooth:teeth mouse:mice woman:women man:men leaf:leaves knife:knives
  wolf:wolves sheep:sheep fish:fish
`);

/** Uncountable nouns: used bare or with "some", "the", a possessive. */
const MASS_NOUNS = words(`
  water milk bread butter cheese coffee sugar sand gold silver cotton money soup rain grass music snow
  juice honey oil mud smoke pleasure leisure clothing shopping sailing fishing camping
`);

const NAMES = words(`
  alan alice ann anna arthur barbara ben betty carl carol charles david diane donald edward ellen frank
  george grace harry helen jack james jane janet jean john joseph judy julia karen kate laura linda lucy
  margaret maria mark martin mary michael nancy nick oliver paul peter rachel ralph robert ruth sam sarah
  steve susan thomas tom victor william
`);

const ADJECTIVES = words(`
  big small little old young new red green blue yellow black white brown gray dark bright quiet loud
  happy sad angry busy clean dirty cold warm hot wet dry heavy light long short tall thin thick soft hard
  smooth rough sharp sweet sour fresh strange careful gentle friendly lazy clever brave proud tired
  hungry rich poor empty full broken cheap expensive famous funny lovely pretty ugly wooden golden shiny
  dusty muddy narrow wide deep greasy oily usual casual huge tiny beautiful difficult simple favorite
  nervous curious pleasant ancient modern private public purple beige
`);

/** Transitive verbs, `base:past`. */
const TRANSITIVE_VERBS = pairs(`
  carry:carried wash:washed find:found bring:brought buy:bought sell:sold build:built paint:painted
  fix:fixed clean:cleaned open:opened close:closed pull:pulled push:pushed lift:lifted drop:dropped
  hold:held catch:caught throw:threw kick:kicked touch:touched watch:watched visit:visited
  follow:followed help:helped call:called need:needed want:wanted like:liked love:loved hate:hated
  enjoy:enjoyed cook:cooked bake:baked eat:ate drink:drank drive:drove ride:rode write:wrote draw:drew
  sing:sang play:played hide:hid show:showed see:saw hear:heard take:took give:gave send:sent lend:lent
  borrow:borrowed keep:kept leave:left lose:lost steal:stole break:broke cut:cut fill:filled pack:packed
  move:moved hang:hung feed:fed teach:taught meet:met thank:thanked ask:asked answer:answered
  count:counted measure:measured check:checked choose:chose wear:wore tear:tore shake:shook pick:picked
  gather:gathered order:ordered deliver:delivered cover:covered repair:repaired polish:polished
  mend:mended guard:guarded chase:chased greet:greeted remember:remembered forget:forgot
  notice:noticed finish:finished start:started miss:missed rescue:rescued study:studied
  describe:described explain:explained prepare:prepared protect:protected admire:admired
  examine:examined
`);

/** Intransitive verbs, `base:past`. */
const INTRANSITIVE_VERBS = pairs(`
  sleep:slept laugh:laughed smile:smiled cry:cried run:ran walk:walked swim:swam jump:jumped sit:sat
  stand:stood wait:waited arrive:arrived dance:danced shout:shouted whisper:whispered work:worked
  rest:rested fall:fell hurry:hurried travel:traveled listen:listened talk:talked stay:stayed
  return:returned disappear:disappeared agree:agreed complain:complained wonder:wondered
  breathe:breathed shiver:shivered yawn:yawned
`);

const ADVERBS = words(`
  quickly slowly quietly loudly carefully happily suddenly always never often sometimes usually today
  yesterday tomorrow again early late soon already finally gently badly easily twice together outside
  inside nearby everywhere
`);

const PREPOSITIONS = words(`in on under over near behind beside with from across through into along around above below without at by after before toward`);

/** Closed-class words: unstressed in connected speech (their vowels reduce; see phonology.ts). */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  words(`
    the a an this that these those every each her his my your our their no some many few all i you he
    she we they me him us them it will can could should would might must did does do was were is are
    there to of and but because while when so although until since where why how in on under over near
    with from at by into for as than
  `),
);

export interface Vocabulary {
  nouns: Array<{ singular: string; plural: string | null }>;
  massNouns: string[];
  names: string[];
  adjectives: string[];
  transitive: Array<{ base: string; past: string }>;
  intransitive: Array<{ base: string; past: string }>;
  adverbs: string[];
  prepositions: string[];
}

/** ARPAbet pronunciations of a word (all dictionary variants, first = most common), phones space-separated. */
export type Pronunciations = readonly string[];

export interface Lexicon {
  vocabulary: Vocabulary;
  /** Throws for a word outside the dictionary. */
  pronounce(word: string): Pronunciations;
  /** True when the first phone of the word's main pronunciation is a vowel ("an apple"). */
  startsWithVowel(word: string): boolean;
}

type CmuDictionary = { readonly [word: string]: string };

function regularPlural(noun: string): string {
  if (/(s|sh|ch|x|z)$/.test(noun)) return `${noun}es`;
  if (/[^aeiou]y$/.test(noun)) return `${noun.slice(0, -1)}ies`;
  return `${noun}s`;
}

let cached: Promise<Lexicon> | null = null;

/** Loads the CMU dictionary (a 4.7 MB module, ~0.2 s) once and builds the lexicon over it. */
export function loadLexicon(): Promise<Lexicon> {
  cached ??= import('cmu-pronouncing-dictionary').then((m) => buildLexicon(m.dictionary));
  return cached;
}

export function buildLexicon(dict: CmuDictionary): Lexicon {
  const pronounce = (word: string): Pronunciations => {
    const main = dict[word];
    if (main === undefined) throw new MohaqError('NOT_FOUND', `the word ${JSON.stringify(word)} is not in the CMU pronouncing dictionary`);
    const variants = [main];
    for (let i = 2; dict[`${word}(${i})`] !== undefined; i++) variants.push(dict[`${word}(${i})`]!);
    return variants;
  };
  const irregular = new Map(IRREGULAR_PLURALS);
  const vocabulary: Vocabulary = {
    nouns: [...NOUNS, ...irregular.keys()].map((singular) => {
      const plural = irregular.get(singular) ?? regularPlural(singular);
      return { singular, plural: dict[plural] !== undefined ? plural : null };
    }),
    massNouns: MASS_NOUNS,
    names: NAMES,
    adjectives: ADJECTIVES,
    transitive: TRANSITIVE_VERBS.map(([base, past]) => ({ base, past })),
    intransitive: INTRANSITIVE_VERBS.map(([base, past]) => ({ base, past })),
    adverbs: ADVERBS,
    prepositions: PREPOSITIONS,
  };
  for (const w of allWordForms(vocabulary)) pronounce(w);
  return {
    vocabulary,
    pronounce,
    startsWithVowel: (word) => /^[AEIOU]/.test(pronounce(word)[0]!),
  };
}

/** Every word form a sentence can contain (content and function words). */
export function allWordForms(v: Vocabulary): string[] {
  const out = new Set<string>(FUNCTION_WORDS);
  for (const n of v.nouns) {
    out.add(n.singular);
    if (n.plural) out.add(n.plural);
  }
  for (const list of [v.massNouns, v.names, v.adjectives, v.adverbs, v.prepositions]) for (const w of list) out.add(w);
  for (const verb of [...v.transitive, ...v.intransitive]) {
    out.add(verb.base);
    out.add(verb.past);
  }
  for (const w of EXTRA_WORDS) out.add(w);
  return [...out];
}

/** Words the sentence grammar uses literally beyond the lists above. */
export const EXTRA_WORDS: readonly string[] = words(`
  one two three four five six several didn't don't doesn't can't won't shouldn't please not very
  and then also
`);
