import type { SecurityEventPage, SecurityLogVerification } from '@promptline/core';
import { request } from './client.ts';

/** Filters of the security log page (empty strings: no filter). */
export interface SecurityFilter {
  type: string;
  email: string;
  /** `datetime-local` values, read as local time. */
  from: string;
  to: string;
}

function queryOf(filter: SecurityFilter, cursor: string | null): string {
  const params = new URLSearchParams({ limit: '50' });
  if (filter.type) params.set('type', filter.type);
  if (filter.email.trim()) params.set('email', filter.email.trim());
  if (filter.from) params.set('from', new Date(filter.from).toISOString());
  if (filter.to) params.set('to', new Date(filter.to).toISOString());
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

/** The instance security log (instance admins). */
export const securityApi = {
  page: (filter: SecurityFilter, cursor: string | null) =>
    request<SecurityEventPage>(`/instance/security-events?${queryOf(filter, cursor)}`),
  verify: () => request<SecurityLogVerification>('/instance/security-events/verify'),
};
