// Endpoint search's full-text matching (spec transfer-tasks.md §14.3): words, plural stripping, prefix-of-word terms ANDed across weighted fields, a relevance rank.

const STOP_WORDS = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'in', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'with']);

/** Lower-case words of a text: punctuation and other separators split, accents dropped. */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/** English plurals to their singular, as far as simple suffix rules go (datasets → dataset, libraries → library, boxes → box). */
export function singular(word: string): string {
  if (word.length <= 3 || /\d$/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(word)) return word;
  if (/(sses|xes|zes|ches|shes)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/** The search terms of a query: its words made singular, stop words dropped (unless nothing else is left). */
export function queryTerms(text: string): string[] {
  const all = words(text);
  const kept = all.filter((w) => !STOP_WORDS.has(w));
  return [...new Set((kept.length ? kept : all).map(singular))];
}

/** A field to search and its weight (a match in a display name counts more than one in a description). */
export interface SearchField {
  text: string | null | undefined;
  weight: number;
}

/** How well one term matches one word: the whole word beats a prefix of it. */
function termScore(term: string, word: string): number {
  const w = singular(word);
  if (w === term || word === term) return 1;
  if (word.startsWith(term) || w.startsWith(term)) return 0.5;
  return 0;
}

/**
 * The rank of a record for `terms`: null when some term matches no word of any field (terms are ANDed),
 * else the sum over terms of the best weight × match quality, in any field and any order.
 */
export function rank(terms: readonly string[], fields: readonly SearchField[]): number | null {
  const indexed = fields.map((f) => ({ weight: f.weight, words: words(f.text ?? '') }));
  let total = 0;
  for (const term of terms) {
    let best = 0;
    for (const field of indexed) for (const word of field.words) best = Math.max(best, field.weight * termScore(term, word));
    if (best === 0) return null;
    total += best;
  }
  return total;
}
