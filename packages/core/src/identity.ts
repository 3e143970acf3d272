/**
 * People and projects: users of an instance, members of a project with a role, and the order of
 * roles every authorisation check uses.
 */
import { z } from 'zod';
import { Role, RowId, Timestamp } from './schemas.ts';

/** How far each role reaches: a role may do everything a lower one may. */
export const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 0, reviewer: 1, editor: 2, admin: 3 };

/**
 * Whether `role` includes `needed` (viewer < reviewer < editor < admin).
 *
 * @example roleAtLeast('editor', 'reviewer') // true
 */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[needed];
}

/**
 * `active`: has signed in (SSO or password); `invited`: known by email, not signed in yet;
 * `service`: a machine account behind API keys, never signs in.
 */
export const UserStatus = z.enum(['active', 'invited', 'service']);

/** A person or service account of the instance. Emails are unique per instance (lowercase). */
export const User = z.object({
  id: RowId,
  email: z.string(),
  name: z.string(),
  /** One or two letters for an avatar. */
  initials: z.string(),
  status: UserStatus,
  /** May create projects and manage every project's members. */
  instanceAdmin: z.boolean(),
  createdAt: Timestamp,
});

/** A user's role in one project. */
export const Member = z.object({
  user: User,
  role: Role,
  since: Timestamp,
});

/** Body of `PUT /api/v1/members`: add a user (by email) to the project, or change their role. */
export const PutMemberRequest = z.object({
  email: z.email().max(320),
  role: Role,
  /** Display name for a user not yet known (default: the email's local part). */
  name: z.string().min(1).max(200).optional(),
});

export type UserStatus = z.infer<typeof UserStatus>;
export type User = z.infer<typeof User>;
export type Member = z.infer<typeof Member>;
export type PutMemberRequest = z.infer<typeof PutMemberRequest>;

/** Normal form of an email address for lookups and uniqueness: trimmed, lowercase. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * One or two capital letters for an avatar: the first letters of the first and last word of the
 * name, else of the email's local part.
 *
 * @example initialsOf('Ada Lovelace', 'ada@example.com') // 'AL'
 */
export function initialsOf(name: string, email: string): string {
  const words = name
    .trim()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => /\p{L}|\p{N}/u.test(w));
  const source = words.length > 0 ? words : (email.split('@')[0] ?? '').split(/[._+-]+/).filter(Boolean);
  const first = source[0]?.[0] ?? '?';
  const last = source.length > 1 ? (source[source.length - 1]?.[0] ?? '') : '';
  return `${first}${last}`.toUpperCase();
}
