/**
 * @module porter-stemmer
 * The Porter stemming algorithm, written from the paper: M. F. Porter, "An algorithm for suffix
 * stripping", Program 14(3):130–137, 1980. Step numbers, rule lists and conditions below follow
 * the paper's text (not the later reference implementation, which differs in two step-2 rules:
 * "bli"→"ble" for "abli"→"able", and an added "logi"→"log").
 *
 * Notation from the paper: C/V are runs of consonants/vowels; every word is [C](VC)^m[V] and m is
 * its *measure*; *S = the stem ends with S; *v* = the stem contains a vowel; *d = it ends with a
 * double consonant; *o = it ends consonant-vowel-consonant, the last not w, x or y.
 * A vowel is a, e, i, o, u, and y when preceded by a consonant.
 *
 * Input is one lowercase word of ASCII letters; anything else (digits, accents, other scripts) and
 * words of one or two letters are returned unchanged, as in the paper's reference code.
 */

const ASCII_WORD = /^[a-z]+$/

const isVowelLetter = (ch: string | undefined): boolean => ch === 'a' || ch === 'e' || ch === 'i' || ch === 'o' || ch === 'u'

/**
 * Whether `ch`, at `i`, is a consonant, given whether the letter before it was one. The paper's
 * rule for y refers to the letter before, so a scan from the start decides each letter in O(1).
 */
function consonantAfter(ch: string | undefined, i: number, previousIsConsonant: boolean): boolean {
  if (isVowelLetter(ch)) return false
  // "y preceded by a consonant" is a vowel; at the start of a word it is a consonant.
  if (ch === 'y') return i === 0 || !previousIsConsonant
  return true
}

/**
 * Whether the letter at `i` is a consonant. Iterative: the y rule read as a recursion (y asks the
 * letter before, which may be a y…) costs O(i) stack frames, and a word of 20,000 y's (one token
 * of a request's document) overflowed the stack; measure() calling it per letter made such a word
 * quadratic (10,000 y's: 1.5 s). Along a run of y's the answer alternates from the run's start.
 */
function isConsonant(w: string, i: number): boolean {
  if (w[i] !== 'y') return !isVowelLetter(w[i])
  let start = i
  while (start > 0 && w[start - 1] === 'y') start--
  const first = start === 0 || !isConsonant(w, start - 1) // the letter before the run is not a y
  return (i - start) % 2 === 0 ? first : !first
}

/** m in [C](VC)^m[V] for the whole of `stem`: the number of vowel → consonant steps, one pass. */
export function measure(stem: string): number {
  let m = 0
  let previous = true // a leading consonant run adds nothing, as if a consonant came before
  for (let i = 0; i < stem.length; i++) {
    const c = consonantAfter(stem[i], i, previous)
    if (c && !previous) m++
    previous = c
  }
  return m
}

function hasVowel(stem: string): boolean {
  let previous = true
  for (let i = 0; i < stem.length; i++) {
    previous = consonantAfter(stem[i], i, previous)
    if (!previous) return true
  }
  return false
}

function endsDoubleConsonant(stem: string): boolean {
  const n = stem.length
  return n >= 2 && stem[n - 1] === stem[n - 2] && isConsonant(stem, n - 1)
}

function endsCvc(stem: string): boolean {
  const n = stem.length
  if (n < 3) return false
  const last = stem[n - 1]
  return (
    isConsonant(stem, n - 3) &&
    !isConsonant(stem, n - 2) &&
    isConsonant(stem, n - 1) &&
    last !== 'w' &&
    last !== 'x' &&
    last !== 'y'
  )
}

/** A rule S1 → S2, applied when the stem left after removing S1 passes `when`. */
type Rule = readonly [suffix: string, replacement: string]

/**
 * Applies, within one step, the rule with the longest matching suffix; if its condition fails no
 * other rule of the step is tried (the paper: "the one with the longest matching S1 is obeyed").
 */
function applyLongest(word: string, rules: readonly Rule[], when: (stem: string, suffix: string) => boolean): string {
  let best: Rule | undefined
  for (const rule of rules) {
    if (word.endsWith(rule[0]) && (best === undefined || rule[0].length > best[0].length)) best = rule
  }
  if (best === undefined) return word
  const stem = word.slice(0, word.length - best[0].length)
  return when(stem, best[0]) ? stem + best[1] : word
}

function step1a(w: string): string {
  if (w.endsWith('sses')) return w.slice(0, -2)
  if (w.endsWith('ies')) return w.slice(0, -2)
  if (w.endsWith('ss')) return w
  if (w.endsWith('s')) return w.slice(0, -1)
  return w
}

function step1b(w: string): string {
  if (w.endsWith('eed')) {
    const stem = w.slice(0, -3)
    return measure(stem) > 0 ? `${stem}ee` : w
  }
  let stem: string | undefined
  if (w.endsWith('ed') && hasVowel(w.slice(0, -2))) stem = w.slice(0, -2)
  else if (w.endsWith('ing') && hasVowel(w.slice(0, -3))) stem = w.slice(0, -3)
  if (stem === undefined) return w
  // The paper's follow-up rules when "ed" or "ing" was removed.
  if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return `${stem}e`
  if (endsDoubleConsonant(stem) && !/[lsz]$/.test(stem)) return stem.slice(0, -1)
  if (measure(stem) === 1 && endsCvc(stem)) return `${stem}e`
  return stem
}

function step1c(w: string): string {
  return w.endsWith('y') && hasVowel(w.slice(0, -1)) ? `${w.slice(0, -1)}i` : w
}

const STEP2: readonly Rule[] = [
  ['ational', 'ate'],
  ['tional', 'tion'],
  ['enci', 'ence'],
  ['anci', 'ance'],
  ['izer', 'ize'],
  ['abli', 'able'],
  ['alli', 'al'],
  ['entli', 'ent'],
  ['eli', 'e'],
  ['ousli', 'ous'],
  ['ization', 'ize'],
  ['ation', 'ate'],
  ['ator', 'ate'],
  ['alism', 'al'],
  ['iveness', 'ive'],
  ['fulness', 'ful'],
  ['ousness', 'ous'],
  ['aliti', 'al'],
  ['iviti', 'ive'],
  ['biliti', 'ble'],
]

const STEP3: readonly Rule[] = [
  ['icate', 'ic'],
  ['ative', ''],
  ['alize', 'al'],
  ['iciti', 'ic'],
  ['ical', 'ic'],
  ['ful', ''],
  ['ness', ''],
]

const STEP4: readonly Rule[] = [
  'al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'ion', 'ou', 'ism',
  'ate', 'iti', 'ous', 'ive', 'ize',
].map((s): Rule => [s, ''])

function step5a(w: string): string {
  if (!w.endsWith('e')) return w
  const stem = w.slice(0, -1)
  const m = measure(stem)
  return m > 1 || (m === 1 && !endsCvc(stem)) ? stem : w
}

function step5b(w: string): string {
  return measure(w) > 1 && endsDoubleConsonant(w) && w.endsWith('l') ? w.slice(0, -1) : w
}

const step2 = (w: string): string => applyLongest(w, STEP2, (stem) => measure(stem) > 0)
const step3 = (w: string): string => applyLongest(w, STEP3, (stem) => measure(stem) > 0)
const step4 = (w: string): string =>
  applyLongest(w, STEP4, (stem, suffix) =>
    suffix === 'ion' ? measure(stem) > 1 && (stem.endsWith('s') || stem.endsWith('t')) : measure(stem) > 1,
  )

/** The paper's steps in order, exposed so each can be checked against the paper's own examples. */
export const PORTER_STEPS = { step1a, step1b, step1c, step2, step3, step4, step5a, step5b } as const
const STEPS_IN_ORDER = [step1a, step1b, step1c, step2, step3, step4, step5a, step5b] as const

export function porterStem(word: string): string {
  if (word.length <= 2 || !ASCII_WORD.test(word)) return word
  let w = word
  for (const step of STEPS_IN_ORDER) w = step(w)
  return w
}
