/** Branches, the version graph and merges of a prompt. */
import type {
  Branch,
  BranchComparison,
  MergePreview,
  MergeRequest,
  MergeResult,
  VersionGraph,
} from '@promptline/core';
import { encodeName, request } from './client.ts';

const base = (name: string) => `/prompts/${encodeName(name)}`;

export const branchesApi = {
  list: (name: string) => request<{ items: Branch[] }>(`${base(name)}/branches`).then((r) => r.items),
  create: (name: string, body: { name: string; from?: number }) =>
    request<Branch>(`${base(name)}/branches`, { method: 'POST', body }),
  remove: (name: string, branch: string) =>
    request<Branch>(`${base(name)}/branches/${encodeURIComponent(branch)}`, { method: 'DELETE' }),
  compare: (name: string, branch: string) =>
    request<BranchComparison>(`${base(name)}/branches/${encodeURIComponent(branch)}/compare`),
  graph: (name: string) => request<VersionGraph>(`${base(name)}/graph`),
  preview: (name: string, branch: string) =>
    request<MergePreview>(`${base(name)}/merges/preview`, { query: { branch } }),
  merge: (name: string, body: MergeRequest) =>
    request<MergeResult>(`${base(name)}/merges`, { method: 'POST', body }),
};
