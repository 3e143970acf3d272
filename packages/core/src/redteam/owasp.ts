import type { OwaspId } from './types.ts';

/** Titles of the OWASP Top 10 for LLM Applications, 2025 edition. */
export const OWASP_LLM_TOP_10: Readonly<Record<OwaspId, string>> = {
  LLM01: 'Prompt Injection',
  LLM02: 'Sensitive Information Disclosure',
  LLM03: 'Supply Chain',
  LLM04: 'Data and Model Poisoning',
  LLM05: 'Improper Output Handling',
  LLM06: 'Excessive Agency',
  LLM07: 'System Prompt Leakage',
  LLM08: 'Vector and Embedding Weaknesses',
  LLM09: 'Misinformation',
  LLM10: 'Unbounded Consumption',
};
