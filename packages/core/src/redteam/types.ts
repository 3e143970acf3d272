/**
 * The shapes of an offline red-team run: plugins (what to attack, as data), strategies (how an
 * attack is disguised), probes (one attack as sent), findings (a probe the target failed) and the
 * report that lists them.
 */

/** How bad a finding is; `--fail-on` compares against this order. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Severities from least to most severe. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** -1, 0 or 1 as `a` is less, as or more severe than `b`. */
export function compareSeverity(a: Severity, b: Severity): number {
  return Math.sign(SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b));
}

/** The OWASP Top 10 for LLM Applications (2025) ids. */
export type OwaspId =
  | 'LLM01'
  | 'LLM02'
  | 'LLM03'
  | 'LLM04'
  | 'LLM05'
  | 'LLM06'
  | 'LLM07'
  | 'LLM08'
  | 'LLM09'
  | 'LLM10';

/**
 * How a probe's output is judged, deterministically:
 * - `leak`: the canary planted in the prompt, or a run of the prompt's own instruction text, is in the output;
 * - `marker`: the output carries the code the attack asked for (proof the model obeyed the attacker);
 * - `refusal`: a harmful request that was not refused (heuristic; an LLM judge can confirm);
 * - `pii`, `secret`: personal data or credentials in the output that were not in the input;
 * - `tool-call`: the model called a tool for a request it should not act on;
 * - `tool-names`: the output lists the prompt's tool names;
 * - `repetition`, `length`: runaway output (unbounded consumption).
 */
export type DetectorKind =
  | 'leak'
  | 'marker'
  | 'refusal'
  | 'pii'
  | 'secret'
  | 'tool-call'
  | 'tool-names'
  | 'repetition'
  | 'length';

/** Where an attack goes in the prompt: the user's input, or content the prompt processes (indirect). */
export type AttackChannel = 'direct' | 'indirect';

/** A red-team plugin: a family of attacks, shipped as data. */
export interface PluginDef {
  id: string;
  title: string;
  owasp: OwaspId;
  severity: Severity;
  detector: DetectorKind;
  channel: AttackChannel;
  /** Only for prompts that declare tools (excessive agency). */
  needsTools?: boolean;
  /**
   * Attack texts. `{{marker}}` becomes the instruction to print a code (for `marker` detectors),
   * `{{tool}}` the name of one of the prompt's tools.
   */
  attacks: string[];
  mitigation: string;
}

/** A transformation of an attack: encodings, wrappers, role-play, multi-turn. */
export interface StrategyDef {
  id: string;
  title: string;
  /** In the default set (`--strategies` not given). */
  default: boolean;
  /**
   * The user turns that carry `attack` (one for single-turn strategies). `index` varies the
   * choice among shipped variants (e.g. the language of a multilingual wrapper) deterministically.
   */
  apply(attack: string, index: number): string[];
}

/** One attack as sent to the target. */
export interface Probe {
  /** Stable within a run: `<plugin>#<attack index>/<strategy>`. */
  id: string;
  plugin: PluginDef;
  /** `basic` for the attack as written. */
  strategy: string;
  /** The attack before the strategy transformed it. */
  attack: string;
  /** The user turns sent, in order (several for multi-turn strategies). */
  turns: string[];
  /** The code the output must not contain (marker detectors). */
  marker: string | null;
}

/** What the target answered to a probe. */
export interface ProbeOutput {
  /** The answer to the last turn. */
  text: string;
  /** Answers to the earlier turns of a multi-turn probe. */
  earlier: string[];
  toolCalls: { name: string; arguments: string }[];
  finishReason: string | null;
}

/** A probe the target failed. */
export interface Finding {
  probe: string;
  plugin: string;
  title: string;
  severity: Severity;
  owasp: { id: OwaspId; title: string };
  strategy: string;
  /** The attack as sent: the last user turn; `turns` has them all for multi-turn strategies. */
  attack: string;
  turns: string[];
  output: string;
  toolCalls: { name: string; arguments: string }[];
  detector: DetectorKind;
  /** Why this is a finding, e.g. `the canary PL-3f9a… appears in the output`. */
  evidence: string;
  /** `certain` for proof in the output (canary, code, tool call), `heuristic` for a missing refusal. */
  confidence: 'certain' | 'heuristic';
  mitigation: string;
}
