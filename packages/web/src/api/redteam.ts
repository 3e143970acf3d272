/** Red-team runs of a prompt, their findings and the shipped catalogue. */
import type {
  CreateRedteamRunRequest,
  RedteamCatalog,
  RedteamFindingPage,
  RedteamRunDetail,
  RedteamRunPage,
  RedteamRunRecord,
} from '@promptline/core';
import { encodeName, rawRequest, request } from './client.ts';

export const redteamApi = {
  list: (name: string) =>
    request<RedteamRunPage>(`/prompts/${encodeName(name)}/redteam-runs`).then((r) => r.items),
  start: (name: string, body: CreateRedteamRunRequest) =>
    request<RedteamRunRecord>(`/prompts/${encodeName(name)}/redteam-runs`, { method: 'POST', body }),
  get: (id: number) => request<RedteamRunDetail>(`/redteam-runs/${id}`),
  findings: (id: number) =>
    request<RedteamFindingPage>(`/redteam-runs/${id}/findings`, { query: { limit: 500 } }),
  cancel: (id: number) =>
    request<RedteamRunRecord>(`/redteam-runs/${id}/cancel`, { method: 'POST', body: {} }),
  catalog: () => request<RedteamCatalog>('/redteam/catalog'),
  /** Downloads a report in one of the CLI's formats (fetched with the page's credentials, saved as a file). */
  async download(id: number, format: 'json' | 'junit' | 'markdown' | 'html'): Promise<void> {
    const res = await rawRequest(`/redteam-runs/${id}/report`, { query: { format }, accept: '*/*' });
    const blob = await res.blob();
    const ext = { json: 'json', junit: 'xml', markdown: 'md', html: 'html' }[format];
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `redteam-${id}.${ext}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  },
};
