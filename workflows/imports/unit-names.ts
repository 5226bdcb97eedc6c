// Unit names as people write them: one spelling for comparing, close names to suggest, and a
// resolver by code, name or alias. Shared by the findings and units imports and the CLI.

export type UnitResolution = { unitId: number } | { suggestions: string[] };

const CJK_BRACKETS: Record<string, string> = { '【': '[', '】': ']', '〔': '[', '〕': ']' };
const CJK_BRACKET = /[【】〔〕]/g;
const SPACES = /\s+/g;
const SPACE_BESIDE_WIDE = / (?=[^\x20-\x7e])|(?<=[^\x20-\x7e]) /g;

/**
 * One spelling per unit name for comparisons: half-width brackets, digits and letters (NFKC turns
 * （）［］ into ()[]; 【】〔〕 become []), single spaces, and none beside Chinese characters.
 */
export function normaliseUnitName(text: string): string {
  return text
    .normalize('NFKC')
    .replace(CJK_BRACKET, (c) => CJK_BRACKETS[c] ?? c)
    .replace(SPACES, ' ')
    .trim()
    .replace(SPACE_BESIDE_WIDE, '');
}

const MIN_SIMILARITY = 0.3;
// Names of one city share their prefix (益阳市…); keep only candidates close to the best one.
const RELATIVE_CUTOFF = 0.75;

/**
 * The candidates most like `text`, best first: the mean of the character-bigram Dice coefficient and
 * the longest-common-subsequence ratio (which rewards abbreviations such as 卫健委 for 卫生健康委员会),
 * or a containment score when one name holds the other.
 */
export function suggestClosest(text: string, candidates: readonly string[], max = 3): string[] {
  const query = comparable(text);
  if (query === '' || max <= 0) return [];
  const queryGrams = bigrams(query);
  const scored: { candidate: string; score: number; order: number }[] = [];
  const seen = new Set<string>();
  candidates.forEach((candidate, order) => {
    if (seen.has(candidate)) return;
    seen.add(candidate);
    const score = similarity(query, queryGrams, comparable(candidate));
    if (score >= MIN_SIMILARITY) scored.push({ candidate, score, order });
  });
  scored.sort((a, b) => b.score - a.score || a.order - b.order);
  const best = scored[0]?.score ?? 0;
  return scored
    .filter((s) => s.score >= best * RELATIVE_CUTOFF)
    .slice(0, max)
    .map((s) => s.candidate);
}

function comparable(text: string): string {
  return normaliseUnitName(text).replace(SPACES, '').toLowerCase();
}

function similarity(a: string, aGrams: Map<string, number>, b: string): number {
  if (b === '') return 0;
  if (a === b) return 1;
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  const containment = shorter.length >= 2 && longer.includes(shorter) ? 0.6 + (0.4 * shorter.length) / longer.length : 0;
  const lcsRatio = (2 * longestCommonSubsequence(a, b)) / (a.length + b.length);
  return Math.max(containment, (dice(aGrams, bigrams(b)) + lcsRatio) / 2);
}

/** Character bigrams with counts; a one-character name is its own gram. */
function bigrams(text: string): Map<string, number> {
  const grams = new Map<string, number>();
  if (text.length < 2) grams.set(text, 1);
  for (let i = 0; i + 1 < text.length; i++) {
    const gram = text.slice(i, i + 2);
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  return grams;
}

function dice(a: Map<string, number>, b: Map<string, number>): number {
  let shared = 0;
  let total = 0;
  for (const [gram, count] of a) {
    shared += Math.min(count, b.get(gram) ?? 0);
    total += count;
  }
  for (const count of b.values()) total += count;
  return total === 0 ? 0 : (2 * shared) / total;
}

function longestCommonSubsequence(a: string, b: string): number {
  let previous = new Uint16Array(b.length + 1);
  let current = new Uint16Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      current[j] = a[i - 1] === b[j - 1] ? (previous[j - 1] ?? 0) + 1 : Math.max(previous[j] ?? 0, current[j - 1] ?? 0);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

// ---------------------------------------------------------------- a ready-made resolver

export interface KnownUnit {
  id: number;
  code: string;
  name: string;
  aliases: readonly string[];
}

/**
 * A `resolveUnit` over units already loaded: by exact code, then by name, then by alias (all compared
 * through normaliseUnitName); an unknown text gets up to 3 official names close to it.
 */
export function createUnitResolver(units: readonly KnownUnit[]): (text: string) => UnitResolution {
  const byCode = new Map(units.map((u) => [u.code, u.id]));
  const byName = new Map<string, number>();
  const nameOf = new Map<string, string>();
  for (const unit of units) byName.set(normaliseUnitName(unit.name), unit.id);
  for (const unit of units) {
    for (const word of [unit.name, ...unit.aliases]) {
      const key = normaliseUnitName(word);
      if (!byName.has(key)) byName.set(key, unit.id);
      nameOf.set(word, unit.name);
    }
  }
  const words = [...nameOf.keys()];
  return (text) => {
    const unitId = byCode.get(text.trim()) ?? byName.get(normaliseUnitName(text));
    if (unitId !== undefined) return { unitId };
    const names = suggestClosest(text, words, words.length).map((w) => nameOf.get(w) ?? w);
    return { suggestions: [...new Set(names)].slice(0, 3) };
  };
}
