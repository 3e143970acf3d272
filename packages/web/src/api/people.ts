import type {
  CreatedInvitation,
  CreatedProject,
  CreateInvitationRequest,
  Invitation,
  InvitationPreview,
  Member,
  ProjectSummary,
  Role,
} from '@promptline/core';
import { request } from './client.ts';

/** People: members, invitations, the first-run screen and one's own password. */
export const peopleApi = {
  members: () => request<{ items: Member[] }>('/members').then((r) => r.items),
  putMember: (email: string, role: Role) =>
    request<Member>('/members', { method: 'PUT', body: { email, role } }),
  removeMember: (userId: number) => request<void>(`/members/${userId}`, { method: 'DELETE' }),
  invite: (body: Partial<CreateInvitationRequest> & { email: string }) =>
    request<CreatedInvitation>('/invitations', { method: 'POST', body }),
  invitations: () => request<{ items: Invitation[] }>('/invitations').then((r) => r.items),
  revokeInvitation: (id: number) => request<Invitation>(`/invitations/${id}`, { method: 'DELETE' }),
  inspect: (token: string) =>
    request<InvitationPreview>('/invitations/inspect', { method: 'POST', body: { token } }),
  accept: (body: { token: string; password: string; name?: string }) =>
    request<void>('/invitations/accept', { method: 'POST', body }),
  setupNeeded: () => request<{ needed: boolean }>('/setup').then((r) => r.needed),
  setup: (body: { email: string; name?: string; password: string; bootstrapKey?: string }) =>
    request<void>('/setup', { method: 'POST', body }),
  projects: () => request<{ items: ProjectSummary[] }>('/projects').then((r) => r.items),
  createProject: (name: string) => request<CreatedProject>('/projects', { method: 'POST', body: { name } }),
  switchProject: (projectId: number) =>
    request<void>('/session/project', { method: 'PUT', body: { projectId } }),
  changePassword: (body: { currentPassword: string; newPassword: string }) =>
    request<void>('/me/password', { method: 'PUT', body }),
};
