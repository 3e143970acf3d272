/**
 * The audit log's hash chain: each event stores the hash of the event before it and the hash of
 * that link plus its own canonical content, so altering, deleting or re-numbering any stored row
 * breaks every later link. Recomputing the chain proves what happened (and what production was
 * told) at any past moment.
 *
 * What the chain cannot show on its own: removal of the newest events (there is no later link to
 * break). Anchor the head hash elsewhere (a log line, a backup) if that matters.
 */
import { canonicalJson, sha256Hex } from './canonical.ts';
import type { AuditVerification } from './schemas.ts';

/** `prevHash` of the first event of a chain: 64 zeros. */
export const GENESIS_HASH: string = '0'.repeat(64);

/** The part of an audit event its hash covers (everything but the two hashes). */
export interface ChainedEventContent {
  id: number;
  actor: string;
  action: string;
  targetType: string;
  target: string;
  data: Record<string, unknown>;
  at: string;
}

/**
 * Hash of an event: `sha256Hex(prevHash + canonicalJson(content))`. Only the fields of
 * {@link ChainedEventContent} are hashed, so a stored row object can be passed as is.
 */
export function chainHash(prevHash: string, content: ChainedEventContent): string {
  const { id, actor, action, targetType, target, data, at } = content;
  return sha256Hex(prevHash + canonicalJson({ id, actor, action, targetType, target, data, at }));
}

/**
 * Recomputes the chain over `events`, which must come in id order (as the store lists them), and
 * stops at the first broken link: an event whose id does not increase, whose `prevHash` is not the
 * previous event's `hash` (a row before it was deleted or reordered), or whose `hash` does not
 * match its content (the row was altered). `checked` counts the events examined, the broken one
 * included. `startPrevHash` (default {@link GENESIS_HASH}) lets a caller verify a later segment.
 */
export function verifyChain(
  events: Iterable<ChainedEventContent & { prevHash: string; hash: string }>,
  startPrevHash: string = GENESIS_HASH,
): AuditVerification {
  let expectedPrev = startPrevHash;
  let previousId: number | null = null;
  let checked = 0;
  const broken = (id: number, reason: string): AuditVerification => ({
    ok: false,
    checked,
    brokenAt: id,
    reason,
  });

  for (const event of events) {
    checked++;
    if (previousId !== null && !(event.id > previousId)) {
      return broken(
        event.id,
        `event ${event.id} comes after event ${previousId}: ids must increase (rows were re-numbered or reordered)`,
      );
    }
    if (event.prevHash !== expectedPrev) {
      return broken(
        event.id,
        previousId === null
          ? `event ${event.id} does not link to the start of the chain (prevHash ${event.prevHash} ≠ ${expectedPrev}): earlier events were deleted or altered`
          : `event ${event.id} does not link to event ${previousId} (prevHash ≠ its hash): an event between them was deleted, or event ${previousId} was altered`,
      );
    }
    if (chainHash(event.prevHash, event) !== event.hash) {
      return broken(
        event.id,
        `event ${event.id} does not match its hash: its content was altered after it was written`,
      );
    }
    expectedPrev = event.hash;
    previousId = event.id;
  }
  return { ok: true, checked, brokenAt: null, reason: null };
}
