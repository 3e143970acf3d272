/**
 * Text similarity metrics used by assertions: Levenshtein distance, ROUGE-N and BLEU, with the
 * same definitions promptfoo uses so shared configs get the same verdicts.
 */

/**
 * Edit distance (insertions, deletions, substitutions) between two strings, by UTF-16 unit.
 * Two rolling rows keep memory at O(min(a, b)).
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short.length === 0) return long.length;
  let previous = new Uint32Array(short.length + 1);
  let current = new Uint32Array(short.length + 1);
  for (let i = 0; i <= short.length; i++) previous[i] = i;
  for (let j = 1; j <= long.length; j++) {
    current[0] = j;
    const lc = long.charCodeAt(j - 1);
    for (let i = 1; i <= short.length; i++) {
      const cost = short.charCodeAt(i - 1) === lc ? 0 : 1;
      const del = (previous[i] ?? 0) + 1;
      const ins = (current[i - 1] ?? 0) + 1;
      const sub = (previous[i - 1] ?? 0) + cost;
      current[i] = Math.min(del, ins, sub);
    }
    [previous, current] = [current, previous];
  }
  return previous[short.length] ?? 0;
}

/** Word tokens with punctuation split off, close to the Penn Treebank tokenizer ROUGE uses. */
function treebankTokens(text: string): string[] {
  return text
    .replace(/([.,;:!?()[\]{}"`]|--)/g, ' $1 ')
    .replace(/('s|'m|'d|'ll|'re|'ve|n't)\b/gi, ' $1')
    .split(/\s+/)
    .filter((t) => t.length > 0);
}

function ngrams(tokens: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  return out;
}

function counts(items: string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const item of items) map.set(item, (map.get(item) ?? 0) + 1);
  return map;
}

/**
 * ROUGE-N F1 of `candidate` against `reference` with clipped n-gram counts (Lin, 2004), both
 * lowercased. 1 for identical texts, 0 when no n-gram is shared.
 */
export function rougeN(candidate: string, reference: string, n = 1): number {
  const cand = treebankTokens(candidate.toLowerCase());
  const ref = treebankTokens(reference.toLowerCase());
  if (cand.length < n || ref.length < n) return 0;
  const candGrams = ngrams(cand, n);
  const refGrams = ngrams(ref, n);
  const refCounts = counts(refGrams);
  let overlap = 0;
  for (const [gram, count] of counts(candGrams)) overlap += Math.min(count, refCounts.get(gram) ?? 0);
  if (overlap === 0) return 0;
  const precision = overlap / candGrams.length;
  const recall = overlap / refGrams.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * Sentence BLEU (1- to 4-grams, uniform weights, brevity penalty against the closest reference
 * length), lowercased whitespace tokens. 0 for an empty candidate.
 */
export function bleu(candidate: string, references: string[]): number {
  if (candidate.trim() === '' || references.length === 0) return 0;
  const tokenize = (text: string) => text.toLowerCase().trim().split(/\s+/);
  const cand = tokenize(candidate);
  const refs = references.map(tokenize);
  let closest = refs[0]?.length ?? 0;
  for (const ref of refs) {
    const d = Math.abs(ref.length - cand.length);
    const best = Math.abs(closest - cand.length);
    if (d < best || (d === best && ref.length < closest)) closest = ref.length;
  }
  const orders: number[] = [];
  for (let n = 1; n <= 4; n++) {
    const candGrams = ngrams(cand, n);
    if (candGrams.length === 0) continue;
    const candCounts = counts(candGrams);
    let maxClipped = 0;
    for (const ref of refs) {
      const refCounts = counts(ngrams(ref, n));
      let clipped = 0;
      for (const [gram, count] of candCounts) clipped += Math.min(count, refCounts.get(gram) ?? 0);
      maxClipped = Math.max(maxClipped, clipped);
    }
    orders.push(maxClipped / candGrams.length);
  }
  if (orders.length === 0) return 0;
  const brevity = cand.length > closest ? 1 : Math.exp(1 - closest / cand.length);
  const logSum = orders.reduce((acc, p) => acc + Math.log(p === 0 ? 1e-7 : p) / orders.length, 0);
  return brevity * Math.exp(logSum);
}

/** Cosine similarity of two vectors (0 when either is all zeros). */
export function cosineSimilarity(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Words as promptfoo counts them: runs of non-whitespace. */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/**
 * JSON objects embedded in free text (e.g. a model's prose around a JSON block): every balanced
 * `{…}` that parses, scanning left to right and skipping past each one found.
 */
export function extractJsonObjects(text: string): unknown[] {
  const found: unknown[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '{') continue;
    let depth = 0;
    let inString = false;
    let escaped = false;
    for (let j = i; j < text.length; j++) {
      const ch = text[j];
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}') {
        depth--;
        if (depth === 0) {
          try {
            const parsed: unknown = JSON.parse(text.slice(i, j + 1));
            if (typeof parsed === 'object' && parsed !== null) {
              found.push(parsed);
              i = j;
            }
          } catch {
            // not JSON: keep scanning from the next brace
          }
          break;
        }
      }
    }
  }
  return found;
}
