/**
 * The instance's security log: sign-ins, refused sign-ins, lockouts, sign-outs and instance-admin
 * access to projects, of every person of the instance. It belongs to no project (a refused
 * sign-in has none, and a project's admins must not see other projects' people), so only instance
 * admins read it. Hash-chained like the audit log (see audit-chain.ts).
 */
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical.ts';
import { IsoInstant, JsonValue, PageCursor, RowId, Timestamp } from './schemas.ts';

/** What a security event records. */
export const SECURITY_EVENT_TYPES = [
  'session.sign_in',
  'session.sign_in_failed',
  'session.locked',
  'session.sign_out',
  'project.instance_admin_access',
] as const;

export const SecurityEventType = z.enum(SECURITY_EVENT_TYPES);

/** One event of the instance's security log. */
export const SecurityEvent = z.object({
  id: RowId,
  type: SecurityEventType,
  /** The person's email, lowercase; null when it is not known (a state that did not match). */
  email: z.string().nullable(),
  /** Who caused the event: the person, `system` (a lockout), or `anonymous`. */
  actor: z.string(),
  /** The project the event concerns (the session's project), when there is one. */
  projectId: RowId.nullable(),
  project: z.string().nullable(),
  /** `method`, `code`, `role`, `joined`, `address`… by type. */
  data: z.record(z.string(), JsonValue),
  at: Timestamp,
  prevHash: z.string(),
  hash: z.string(),
});

/** Query of `GET /api/v1/instance/security-events`. */
export const SecurityEventQuery = z.object({
  type: SecurityEventType.optional(),
  /** Events of this email (compared in lowercase). */
  email: z.string().min(1).max(320).optional(),
  /** Events at or after `from` and before `to`. */
  from: IsoInstant.optional(),
  to: IsoInstant.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: PageCursor.optional(),
});

/** A page of security events, newest first. */
export const SecurityEventPage = z.object({
  items: z.array(SecurityEvent),
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

/** The security log's chain recomputed: the first broken link, if any. */
export const SecurityLogVerification = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  brokenAt: z.number().int().nullable(),
  reason: z.string().nullable(),
  /** The newest event's hash when verification ran (record it to detect truncation later). */
  head: z.string().nullable(),
});

export type SecurityEventType = z.infer<typeof SecurityEventType>;
export type SecurityEvent = z.infer<typeof SecurityEvent>;
export type SecurityEventQuery = z.infer<typeof SecurityEventQuery>;
export type SecurityEventPage = z.infer<typeof SecurityEventPage>;
export type SecurityLogVerification = z.infer<typeof SecurityLogVerification>;

/** The part of a security event its hash covers (everything but the two hashes and the project's name). */
export interface SecurityEventContent {
  id: number;
  type: string;
  email: string | null;
  actor: string;
  projectId: number | null;
  data: Record<string, unknown>;
  at: string;
}

/**
 * Hash of a security event: `sha256Hex(prevHash + canonicalJson(content))`, chained like the
 * audit log's events, so altering, deleting or re-numbering a stored event breaks every later link.
 */
export function securityEventHash(prevHash: string, content: SecurityEventContent): string {
  const { id, type, email, actor, projectId, data, at } = content;
  return sha256Hex(prevHash + canonicalJson({ id, type, email, actor, projectId, data, at }));
}
