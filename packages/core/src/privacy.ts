/**
 * PII redaction: built-in detectors (emails, phone numbers, card numbers that pass the Luhn check,
 * IBANs that pass the mod-97 check, IPv4/IPv6 addresses, API-key-like secrets) and a project's own
 * patterns, applied to every string of a JSON value. A match becomes `[REDACTED:<kind>]`.
 */
import { z } from 'zod';

export const PII_DETECTORS = ['email', 'phone', 'card', 'iban', 'ip', 'secret'] as const;
export const PiiDetector = z.enum(PII_DETECTORS);

export const CustomPattern = z.object({
  /** Shown in the replacement: `[REDACTED:<name>]`. */
  name: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lowercase letters, digits, "_" and "-" (at most 40)'),
  /** A JavaScript regular expression (no flags; matched globally, case-sensitive). */
  pattern: z
    .string()
    .min(1)
    .max(500)
    .refine((p) => {
      try {
        new RegExp(p, 'g');
        return true;
      } catch {
        // Not a valid expression: refused with the message below.
        return false;
      }
    }, 'not a valid regular expression'),
});

export const RedactionSettings = z.object({
  enabled: z.boolean(),
  detectors: z.array(PiiDetector).max(PII_DETECTORS.length),
  customPatterns: z.array(CustomPattern).max(50),
});

export const DEFAULT_REDACTION: RedactionSettings = {
  enabled: false,
  detectors: [...PII_DETECTORS],
  customPatterns: [],
};

export const EndUserErasure = z.object({
  userId: z.string(),
  spans: z.number().int().min(0),
  traces: z.number().int().min(0),
  scores: z.number().int().min(0),
  datasetItems: z.number().int().min(0),
  /** Annotation queue items of those traces (with the reviewers' comments on them). */
  annotationItems: z.number().int().min(0),
});

export type PiiDetector = z.infer<typeof PiiDetector>;
export type CustomPattern = z.infer<typeof CustomPattern>;
export type RedactionSettings = z.infer<typeof RedactionSettings>;
export type EndUserErasure = z.infer<typeof EndUserErasure>;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function ibanValid(text: string): boolean {
  const iban = text.replace(/\s+/g, '').toUpperCase();
  if (iban.length < 15 || iban.length > 34) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of moved) {
    const value = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

interface Detector {
  kind: string;
  pattern: RegExp;
  /** Extra check of a match (checksums); default: every match counts. */
  accept?: (match: string) => boolean;
}

/** Order matters: secrets and cards before phones, so a long digit run is named for what it is. */
const BUILT_IN: Record<PiiDetector, Detector> = {
  secret: {
    kind: 'secret',
    pattern:
      /\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|pl_[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/g,
  },
  email: { kind: 'email', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g },
  iban: {
    kind: 'iban',
    pattern: /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g,
    accept: ibanValid,
  },
  card: {
    kind: 'card',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    accept: (m) => luhn(m.replace(/[ -]/g, '')),
  },
  ip: {
    kind: 'ip',
    pattern:
      /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b|\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b|\b(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,5})?\b/g,
  },
  phone: {
    kind: 'phone',
    pattern: /(?<![\w.])\+?\d{1,3}?[ .-]?\(?\d{2,4}\)?(?:[ .-]?\d{2,4}){2,4}(?![\w.])/g,
    // 7 to 15 digits (E.164's bound), so years and small numbers are left alone.
    accept: (m) => {
      const digits = m.replace(/\D/g, '').length;
      return digits >= 7 && digits <= 15;
    },
  },
};
const ORDER: readonly PiiDetector[] = ['secret', 'email', 'iban', 'card', 'ip', 'phone'];

/** Redacts strings; built once per settings. */
export interface Redactor {
  /** The text with every match replaced by `[REDACTED:<kind>]`. */
  text(value: string): string;
  /** A JSON value with every string (object keys left alone) redacted; other values as they are. */
  value<T>(value: T): T;
}

/**
 * Builds the redactor of a project's settings (null when redaction is off).
 *
 * @example
 * createRedactor({ enabled: true, detectors: ['email'], customPatterns: [] })?.text('mail a@b.co') // 'mail [REDACTED:email]'
 */
export function createRedactor(settings: RedactionSettings): Redactor | null {
  if (!settings.enabled) return null;
  const detectors: Detector[] = [
    ...settings.customPatterns.map((c) => ({ kind: c.name, pattern: new RegExp(c.pattern, 'g') })),
    ...ORDER.filter((d) => settings.detectors.includes(d)).map((d) => BUILT_IN[d]),
  ];
  if (detectors.length === 0) return null;
  const text = (input: string): string => {
    let out = input;
    for (const d of detectors) {
      out = out.replace(d.pattern, (match) =>
        match === '' || (d.accept && !d.accept(match)) ? match : `[REDACTED:${d.kind}]`,
      );
    }
    return out;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return { text, value: <T>(value: T) => walk(value) as T };
}
