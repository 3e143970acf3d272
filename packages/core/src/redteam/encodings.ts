/**
 * Text transformations the strategies use: encodings a model can decode but a keyword filter does
 * not read. Pure functions; digits are left alone where the transformation allows it, so the
 * code an attack asks for survives (see generate.ts).
 */

/** UTF-8 text as base64 (browser- and Node-safe). */
export function toBase64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Decodes base64 to UTF-8 text; null when it is not base64 or not text. */
export function fromBase64(encoded: string): string | null {
  try {
    const binary = atob(encoded);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Not base64, or bytes that are not UTF-8: nothing to look at.
    return null;
  }
}

export function toHex(text: string): string {
  return [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

export function rot13(text: string): string {
  return text.replace(/[a-z]/gi, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

const LEET: Record<string, string> = { a: '4', e: '3', i: '1', o: '0', s: '5', t: '7' };

export function leetspeak(text: string): string {
  return text.replace(/[aeiost]/gi, (c) => LEET[c.toLowerCase()] ?? c);
}

/** Latin letters → Cyrillic and Greek look-alikes. */
const HOMOGLYPHS: Record<string, string> = {
  a: 'а',
  c: 'с',
  e: 'е',
  i: 'і',
  o: 'о',
  p: 'р',
  x: 'х',
  y: 'у',
  A: 'А',
  B: 'В',
  C: 'С',
  E: 'Е',
  H: 'Н',
  I: 'І',
  K: 'К',
  M: 'М',
  O: 'О',
  P: 'Р',
  T: 'Т',
  X: 'Х',
};

export function homoglyphs(text: string): string {
  return text.replace(/[a-zA-Z]/g, (c) => HOMOGLYPHS[c] ?? c);
}

const MORSE: Record<string, string> = {
  a: '.-',
  b: '-...',
  c: '-.-.',
  d: '-..',
  e: '.',
  f: '..-.',
  g: '--.',
  h: '....',
  i: '..',
  j: '.---',
  k: '-.-',
  l: '.-..',
  m: '--',
  n: '-.',
  o: '---',
  p: '.--.',
  q: '--.-',
  r: '.-.',
  s: '...',
  t: '-',
  u: '..-',
  v: '...-',
  w: '.--',
  x: '-..-',
  y: '-.--',
  z: '--..',
  '0': '-----',
  '1': '.----',
  '2': '..---',
  '3': '...--',
  '4': '....-',
  '5': '.....',
  '6': '-....',
  '7': '--...',
  '8': '---..',
  '9': '----.',
  '.': '.-.-.-',
  ',': '--..--',
  '?': '..--..',
  "'": '.----.',
  '!': '-.-.--',
  ':': '---...',
};

/** Morse code: letters separated by spaces, words by ` / `; characters without a code are dropped. */
export function morse(text: string): string {
  return text
    .toLowerCase()
    .split(/\s+/)
    .map((word) =>
      [...word]
        .map((c) => MORSE[c])
        .filter((code): code is string => code !== undefined)
        .join(' '),
    )
    .filter((word) => word !== '')
    .join(' / ');
}

export function reverse(text: string): string {
  return [...text].reverse().join('');
}

export function pigLatin(text: string): string {
  return text.replace(/[a-z]+/gi, (word) => {
    const m = /^([^aeiou]*)(.*)$/i.exec(word);
    const head = m?.[1] ?? '';
    const rest = m?.[2] ?? '';
    return rest === '' ? `${word}ay` : `${rest}${head}${head === '' ? 'way' : 'ay'}`;
  });
}

export function camelCase(text: string): string {
  return text
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1)))
    .join('');
}

/** A zero-width space between the letters of every word (digits untouched). */
export function zeroWidth(text: string): string {
  return text.replace(/(\p{L})(?=\p{L})/gu, '$1\u200b');
}
