/**
 * Output contracts on production spans: a span that names a prompt version whose config declares
 * an output contract, and carries an output, is checked against it at ingest (core's checker).
 * The verdict is stored on the span and counted in the rollups.
 *
 * Cheap by construction: versions are immutable, so a version's contract (or its lack of one) is
 * cached for good; a batch looks up each distinct version once, and only on a cache miss; spans
 * without a prompt link or an output cost a property read.
 */
import {
  checkOutput,
  type OutputContract,
  type SchemaIssueFinder,
  type SpanInput,
  toJsonSchema,
} from '@promptline/core';
import { createSchemaIssueFinder } from '@promptline/core/node';

/** The output contract of a version: null when it declares none, undefined when there is no such version. */
export type OutputContractLookup = (
  projectId: number,
  prompt: string,
  version: number,
) => Promise<OutputContract | null | undefined>;

/** A span's verdict: `violation` true when the output broke the contract, with the first reason. */
export interface ContractVerdict {
  violation: boolean;
  message: string | null;
}

/** Cached versions (contracts are a few hundred bytes; the cache is cleared whole when full). */
const MAX_CACHED = 10_000;
/** An unknown version is looked up again after this long (it may be created after its first spans). */
const MISS_TTL_MS = 60_000;
/** Stored reasons are cut here: a schema with many fields can list a long way. */
const MAX_MESSAGE_LENGTH = 1_000;

/**
 * The text an output contract is checked against: a string as is, a chat message's `content`
 * (the gateway's `{ role, content }`), the last message of a list (OpenTelemetry's output
 * messages, with their text `parts` joined), and any other JSON value as its JSON text (a
 * structured output). Null when the span has no output to check.
 */
export function outputText(output: unknown): string | null {
  if (output === undefined || output === null) return null;
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.length === 0 ? null : outputText(output[output.length - 1]);
  if (typeof output === 'object') {
    const message = output as { content?: unknown; parts?: unknown };
    if (typeof message.content === 'string') return message.content;
    if (Array.isArray(message.parts)) {
      const texts = message.parts.flatMap((p: unknown) => {
        const part = p as { type?: unknown; content?: unknown };
        return part && part.type === 'text' && typeof part.content === 'string' ? [part.content] : [];
      });
      if (texts.length > 0) return texts.join('');
    }
  }
  return JSON.stringify(output);
}

/**
 * A contract with its schema converted to JSON Schema once: the checker then passes the same
 * object every time, which the validator caches by identity. A schema that cannot be read is left
 * as is (the check reports it per span rather than failing the batch).
 */
function prepared(contract: OutputContract): OutputContract {
  if (contract.format !== 'json' || !contract.schema) return contract;
  try {
    return { ...contract, schema: toJsonSchema(contract.schema) };
  } catch {
    // Unreadable schema: kept as written so each span's check reports the problem (see above).
    return contract;
  }
}

/** Checks spans' outputs against their versions' contracts, with the version cache. */
export function createSpanContractChecker(
  lookup: OutputContractLookup,
  options: { now?: () => number; find?: SchemaIssueFinder } = {},
) {
  const now = options.now ?? Date.now;
  const find = options.find ?? createSchemaIssueFinder();
  const cache = new Map<string, { contract: OutputContract | null; missUntil?: number }>();

  async function contractOf(projectId: number, prompt: string, version: number) {
    const key = `${projectId}\u0000${prompt}\u0000${version}`;
    const hit = cache.get(key);
    if (hit && (hit.missUntil === undefined || hit.missUntil > now())) return hit.contract;
    const found = await lookup(projectId, prompt, version);
    if (cache.size >= MAX_CACHED) cache.clear();
    const contract = found ? prepared(found) : null;
    cache.set(key, found === undefined ? { contract: null, missUntil: now() + MISS_TTL_MS } : { contract });
    return contract;
  }

  return {
    /**
     * The verdict of each span (index-aligned; null where nothing was checked). One lookup per
     * distinct uncached version of the batch.
     */
    async verdicts(projectId: number, spans: readonly SpanInput[]): Promise<(ContractVerdict | null)[]> {
      const contracts = new Map<string, OutputContract | null>();
      const out: (ContractVerdict | null)[] = [];
      for (const span of spans) {
        const link = span.prompt;
        if (!link || span.output === undefined || span.output === null) {
          out.push(null);
          continue;
        }
        const key = `${link.name}\u0000${link.version}`;
        let contract = contracts.get(key);
        if (contract === undefined) {
          contract = await contractOf(projectId, link.name, link.version);
          contracts.set(key, contract);
        }
        const text = contract === null ? null : outputText(span.output);
        if (contract === null || text === null) {
          out.push(null);
          continue;
        }
        let result: { pass: boolean; reason: string };
        try {
          result = checkOutput(contract, text, find);
        } catch {
          // A contract the checker cannot apply (saved before its validation existed) must not
          // cost the batch: the span is stored unchecked.
          out.push(null);
          continue;
        }
        out.push(
          result.pass
            ? { violation: false, message: null }
            : { violation: true, message: result.reason.slice(0, MAX_MESSAGE_LENGTH) },
        );
      }
      return out;
    },
  };
}

export type SpanContractChecker = ReturnType<typeof createSpanContractChecker>;
