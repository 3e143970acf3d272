/**
 * Three-way merge of two versions against their common ancestor: the template line by line then
 * word by word, chat messages one by one (each message's content merged as a text), and the
 * config key by key — recursing into objects, so `parameters.temperature` on one side and
 * `parameters.max_tokens` on the other both land; the input schema and output contract are config
 * keys too. Pure functions: the server finds the ancestor and saves the result.
 */
import { canonicalJson } from '../canonical.ts';
import type { ChatMessage, ModelConfig, VersionContent } from '../schemas.ts';
import { diff3, mergeSequences } from './diff3.ts';
import type { MergeConfigConflict, MergeMessagePart, MergeOutcome } from './schemas.ts';
import { cleanText, mergeText } from './text.ts';

/** One side of a merge: what renders and its config. */
export interface MergeSide {
  content: VersionContent;
  config: ModelConfig;
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isText(message: ChatMessage): message is Extract<ChatMessage, { role: string }> {
  return !('type' in message);
}

/** Merges one value; `undefined` is an absent key. Conflicting leaves are collected, ours kept. */
function mergeValue(
  base: unknown,
  ours: unknown,
  theirs: unknown,
  key: string,
  conflicts: MergeConfigConflict[],
): unknown {
  if (same(ours, theirs) && (ours === undefined) === (theirs === undefined)) return ours;
  if (same(ours, base) && (ours === undefined) === (base === undefined)) return theirs;
  if (same(theirs, base) && (theirs === undefined) === (base === undefined)) return ours;
  const objects = (v: unknown) => v === undefined || isPlainObject(v);
  if (isPlainObject(ours) && isPlainObject(theirs) && objects(base)) {
    const b = (base ?? {}) as Record<string, unknown>;
    const merged: Record<string, unknown> = {};
    const keys = [...new Set([...Object.keys(ours), ...Object.keys(theirs), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const value = mergeValue(b[k], ours[k], theirs[k], key === '' ? k : `${key}.${k}`, conflicts);
      if (value !== undefined) merged[k] = value;
    }
    return merged;
  }
  const top = key.split('.')[0];
  conflicts.push({
    key,
    kind: top === 'input' || top === 'output' ? 'schema' : 'config',
    ...(base === undefined ? {} : { base }),
    ...(ours === undefined ? {} : { ours }),
    ...(theirs === undefined ? {} : { theirs }),
  });
  return ours;
}

/** Key-by-key merge of configs; conflicting keys keep ours in `config` and are listed. */
export function mergeConfig(
  base: ModelConfig,
  ours: ModelConfig,
  theirs: ModelConfig,
): { config: ModelConfig; conflicts: MergeConfigConflict[] } {
  const conflicts: MergeConfigConflict[] = [];
  const config = (mergeValue(base, ours, theirs, '', conflicts) ?? {}) as ModelConfig;
  return { config, conflicts };
}

/** Merges one message of a stretch that has one message on each side. */
function mergeMessage(base: ChatMessage, ours: ChatMessage, theirs: ChatMessage): MergeMessagePart {
  if (isText(base) && isText(ours) && isText(theirs)) {
    const role =
      ours.role === theirs.role || theirs.role === base.role
        ? ours.role
        : ours.role === base.role
          ? theirs.role
          : null;
    if (role !== null) {
      const parts = mergeText(base.content, ours.content, theirs.content);
      const text = cleanText(parts);
      return text === null
        ? { op: 'text', role, parts }
        : { op: 'clean', messages: [{ role, content: text } as ChatMessage] };
    }
  }
  if (same(ours, theirs) || same(theirs, base)) return { op: 'clean', messages: [ours] };
  if (same(ours, base)) return { op: 'clean', messages: [theirs] };
  return { op: 'conflict', base: [base], ours: [ours], theirs: [theirs] };
}

const identity = (m: ChatMessage): string => (isText(m) ? `role:${m.role}` : `placeholder:${m.name}`);

/**
 * Merges message lists: messages are aligned as wholes (diff3 over their canonical JSON). A
 * stretch both sides changed is aligned again by each message's identity (its role, or the
 * placeholder's name); messages paired that way are merged one by one (role, then content as a
 * text), and what is left over is decided as a whole or reported as a conflict of messages.
 */
export function mergeMessages(
  base: readonly ChatMessage[],
  ours: readonly ChatMessage[],
  theirs: readonly ChatMessage[],
): MergeMessagePart[] {
  const parts: MergeMessagePart[] = [];
  const push = (part: MergeMessagePart): void => {
    const last = parts.at(-1);
    if (part.op === 'clean' && last?.op === 'clean') last.messages.push(...part.messages);
    else if (part.op !== 'clean' || part.messages.length > 0) parts.push(part);
  };
  const pairwise = (
    b: readonly ChatMessage[],
    o: readonly ChatMessage[],
    t: readonly ChatMessage[],
  ): void => {
    b.forEach((message, i) => {
      const mine = o[i];
      const other = t[i];
      if (mine !== undefined && other !== undefined) push(mergeMessage(message, mine, other));
    });
  };
  const byIdentity = (b: ChatMessage[], o: ChatMessage[], t: ChatMessage[]): void => {
    // Stretches are sliced from the lists by position, so positions map items back to messages.
    let [ib, io, it] = [0, 0, 0];
    for (const chunk of diff3(b.map(identity), o.map(identity), t.map(identity))) {
      if (chunk.stable) {
        const n = chunk.items.length;
        pairwise(b.slice(ib, ib + n), o.slice(io, io + n), t.slice(it, it + n));
        [ib, io, it] = [ib + n, io + n, it + n];
        continue;
      }
      const cb = b.slice(ib, ib + chunk.base.length);
      const co = o.slice(io, io + chunk.ours.length);
      const ct = t.slice(it, it + chunk.theirs.length);
      [ib, io, it] = [ib + cb.length, io + co.length, it + ct.length];
      if (same(co, ct) || same(ct, cb)) push({ op: 'clean', messages: co });
      else if (same(co, cb)) push({ op: 'clean', messages: ct });
      else push({ op: 'conflict', base: cb, ours: co, theirs: ct });
    }
  };
  const keys = (list: readonly ChatMessage[]) => list.map((m) => canonicalJson(m));
  const decode = (items: readonly string[]) => items.map((item) => JSON.parse(item) as ChatMessage);
  for (const chunk of mergeSequences(keys(base), keys(ours), keys(theirs))) {
    if (!chunk.conflict) push({ op: 'clean', messages: decode(chunk.items) });
    else {
      const [b, o, t] = [decode(chunk.base), decode(chunk.ours), decode(chunk.theirs)];
      if (b.length > 0 && b.length === o.length && b.length === t.length) pairwise(b, o, t);
      else byIdentity(b, o, t);
    }
  }
  return parts;
}

function emptyOf(type: VersionContent['type']): VersionContent {
  return type === 'text' ? { type: 'text', template: '' } : { type: 'chat', messages: [] };
}

/**
 * Three-way merge of two versions edited from `base` (null when they share no ancestor: then
 * everything both sides hold differently conflicts). A clean merge has `conflicts: 0`; read its
 * result with {@link mergedVersion}.
 *
 * @example
 * const outcome = mergeVersions(base, ours, theirs);
 * if (outcome.conflicts === 0) save(mergedVersion(outcome));
 */
export function mergeVersions(base: MergeSide | null, ours: MergeSide, theirs: MergeSide): MergeOutcome {
  const { config, conflicts: configConflicts } = mergeConfig(base?.config ?? {}, ours.config, theirs.config);
  const outcome: MergeOutcome = { config, configConflicts, conflicts: configConflicts.length };
  const oc = ours.content;
  const tc = theirs.content;
  if (oc.type !== tc.type) {
    // Text against chat cannot be merged piece by piece: one side's switch wins if the other kept the base.
    const taken = base && same(oc, base.content) ? tc : base && same(tc, base.content) ? oc : null;
    if (taken?.type === 'text') outcome.template = [{ op: 'clean', text: taken.template }];
    else if (taken?.type === 'chat') outcome.messages = [{ op: 'clean', messages: [...taken.messages] }];
    else {
      outcome.content = { base: base?.content ?? null, ours: oc, theirs: tc };
      outcome.conflicts += 1;
    }
    return outcome;
  }
  const bc = base && base.content.type === oc.type ? base.content : emptyOf(oc.type);
  if (oc.type === 'text' && tc.type === 'text' && bc.type === 'text') {
    outcome.template = mergeText(bc.template, oc.template, tc.template);
    outcome.conflicts += outcome.template.filter((p) => p.op === 'conflict').length;
  } else if (oc.type === 'chat' && tc.type === 'chat' && bc.type === 'chat') {
    outcome.messages = mergeMessages(bc.messages, oc.messages, tc.messages);
    for (const part of outcome.messages) {
      if (part.op === 'conflict') outcome.conflicts += 1;
      else if (part.op === 'text') outcome.conflicts += part.parts.filter((p) => p.op === 'conflict').length;
    }
    if (outcome.messages.length === 0) {
      // Both sides emptied the list between them: a chat version needs a message, so a person decides.
      outcome.messages = undefined;
      outcome.content = { base: base?.content ?? null, ours: oc, theirs: tc };
      outcome.conflicts += 1;
    }
  }
  return outcome;
}

/** The merged content and config of a clean outcome; null while it has conflicts. */
export function mergedVersion(outcome: MergeOutcome): MergeSide | null {
  if (outcome.conflicts > 0) return null;
  if (outcome.template) {
    const template = cleanText(outcome.template);
    return template === null ? null : { content: { type: 'text', template }, config: outcome.config };
  }
  if (outcome.messages) {
    const messages: ChatMessage[] = [];
    for (const part of outcome.messages) {
      if (part.op !== 'clean') return null;
      messages.push(...part.messages);
    }
    // Both sides removed every message: not a valid chat version, so it is left to a resolution.
    if (messages.length === 0) return null;
    return { content: { type: 'chat', messages }, config: outcome.config };
  }
  return null;
}
