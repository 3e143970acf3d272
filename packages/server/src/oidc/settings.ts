import { Role } from '@promptline/core';
import { z } from 'zod';

/** How this server signs people in with OpenID Connect (from PROMPTLINE_OIDC_* and PROMPTLINE_PUBLIC_URL). */
export interface OidcSettings {
  /** The issuer URL; its `/.well-known/openid-configuration` is read on the first sign-in. */
  issuer: string;
  clientId: string;
  /** Absent for a public client (PKCE only). */
  clientSecret?: string | undefined;
  /** `<public url>/auth/oidc/callback`: registered with the provider. */
  redirectUri: string;
  /** Role of a newcomer whose groups map to none (`viewer` unless set). */
  defaultRole: Role;
  /** Lowercase email domains admitted; empty: any verified email of the issuer. */
  allowedDomains: string[];
  /** The ID token / userinfo claim listing the person's groups. */
  groupsClaim: string;
  /** Group → role; the highest role of the person's groups applies. */
  roleMap: Record<string, Role>;
  scopes: string;
}

/** `a.com, B.org` → `['a.com', 'b.org']`. */
export const DomainList = z.string().transform((text) =>
  text
    .split(',')
    .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
    .filter((d) => d !== ''),
);

/** `platform-admins=admin, writers=editor` → `{ 'platform-admins': 'admin', writers: 'editor' }`. */
export const RoleMapText = z.string().transform((text, ctx) => {
  const map: Record<string, Role> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.lastIndexOf('=');
    const group = pair.slice(0, at).trim();
    const role = Role.safeParse(pair.slice(at + 1).trim());
    if (at <= 0 || group === '' || !role.success) {
      ctx.addIssue({
        code: 'custom',
        message: `"${pair.trim()}" is not <group>=<role> with a role of admin, editor, reviewer or viewer`,
      });
      return z.NEVER;
    }
    map[group] = role.data;
  }
  return map;
});

/** The configuration members this feature reads (see config.ts). */
export interface OidcConfig {
  publicUrl?: string | undefined;
  oidcIssuer?: string | undefined;
  oidcClientId?: string | undefined;
  oidcClientSecret?: string | undefined;
  oidcDefaultRole?: Role | undefined;
  oidcAllowedDomains?: string[] | undefined;
  oidcGroupsClaim?: string | undefined;
  oidcRoleMap?: Record<string, Role> | undefined;
  oidcScopes?: string | undefined;
}

/** The OpenID Connect settings of a configuration, or undefined when SSO is off (no issuer). */
export function oidcSettingsOf(config: OidcConfig): OidcSettings | undefined {
  if (!config.oidcIssuer || !config.oidcClientId || !config.publicUrl) return undefined;
  return {
    issuer: config.oidcIssuer,
    clientId: config.oidcClientId,
    clientSecret: config.oidcClientSecret,
    redirectUri: new URL('auth/oidc/callback', `${config.publicUrl.replace(/\/+$/, '')}/`).toString(),
    defaultRole: config.oidcDefaultRole ?? 'viewer',
    allowedDomains: config.oidcAllowedDomains ?? [],
    groupsClaim: config.oidcGroupsClaim ?? 'groups',
    roleMap: config.oidcRoleMap ?? {},
    scopes: config.oidcScopes ?? 'openid email profile',
  };
}

const ROLE_ORDER: readonly Role[] = ['viewer', 'reviewer', 'editor', 'admin'];

/** The highest role any of `groups` maps to, or undefined. */
export function roleOfGroups(groups: readonly string[], roleMap: Record<string, Role>): Role | undefined {
  let best: Role | undefined;
  for (const group of groups) {
    const role = roleMap[group];
    if (role && (!best || ROLE_ORDER.indexOf(role) > ROLE_ORDER.indexOf(best))) best = role;
  }
  return best;
}
