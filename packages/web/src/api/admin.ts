/**
 * Client of the project's settings and data endpoints: datasets and their items, API keys,
 * provider credentials, environments, price overrides and per-prompt thresholds. Shapes are
 * core's schemas, imported as types only.
 */
import type {
  ApiKey,
  CreatedApiKey,
  CreateEnvironmentRequest,
  Dataset,
  DatasetImportPreview,
  DatasetImportResult,
  DatasetItem,
  DatasetItemInput,
  DatasetItemPage,
  DatasetItemsWritten,
  Environment,
  PriceOverride,
  PriceTable,
  PromptThresholds,
  ProviderCredentialRequest,
  ProviderInfo,
  ProviderTestResult,
  Role,
  UpdateDatasetItemRequest,
  UpdateEnvironmentRequest,
} from '@promptline/core';
import { encodeName, rawRequest, request } from './client.ts';

export type ImportFormat = 'csv' | 'jsonl';

const CONTENT_TYPES: Record<ImportFormat, string> = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

/** A CSV or JSONL file sent as is (the server parses it; the preview and the import agree). */
async function sendFile<T>(path: string, text: string, format: ImportFormat): Promise<T> {
  const res = await rawRequest(path, { method: 'POST', rawBody: text, contentType: CONTENT_TYPES[format] });
  return (await res.json()) as T;
}

const ds = (name: string) => `/datasets/${encodeName(name)}`;

/** Items of a dataset at a revision (default the current one), all pages (bounded). */
async function allItems(name: string, revision?: number): Promise<DatasetItemPage> {
  const items: DatasetItem[] = [];
  let cursor: string | undefined;
  let at = 0;
  for (let page = 0; page < 20; page++) {
    const res = await request<DatasetItemPage>(`${ds(name)}/items`, {
      query: { revision, limit: 1000, cursor },
    });
    items.push(...res.items);
    at = res.revision;
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  return { revision: at, items, nextCursor: null };
}

export const datasetsApi = {
  list: () => request<{ items: Dataset[] }>('/datasets').then((r) => r.items),
  get: (name: string) => request<Dataset>(ds(name)),
  create: (body: { name: string; description?: string }) =>
    request<Dataset>('/datasets', { method: 'POST', body }),
  updateDescription: (name: string, description: string) =>
    request<Dataset>(ds(name), { method: 'PATCH', body: { description } }),
  remove: (name: string) => request<void>(ds(name), { method: 'DELETE' }),
  items: allItems,
  addItem: (name: string, item: DatasetItemInput) =>
    request<DatasetItemsWritten>(`${ds(name)}/items`, { method: 'POST', body: item }),
  updateItem: (name: string, id: number, patch: UpdateDatasetItemRequest) =>
    request<DatasetItem>(`${ds(name)}/items/${id}`, { method: 'PATCH', body: patch }),
  removeItem: (name: string, id: number) =>
    request<{ revision: number }>(`${ds(name)}/items/${id}`, { method: 'DELETE' }),
  previewImport: (name: string, text: string, format: ImportFormat) =>
    sendFile<DatasetImportPreview>(`${ds(name)}/import/preview`, text, format),
  import: (name: string, text: string, format: ImportFormat) =>
    sendFile<DatasetImportResult>(`${ds(name)}/import`, text, format),
  /** The current items as a file (JSONL or CSV), with the name the server gives it. */
  export: async (name: string, format: ImportFormat): Promise<{ blob: Blob; filename: string }> => {
    const res = await rawRequest(`${ds(name)}/export`, { query: { format }, accept: '*/*' });
    const disposition = res.headers.get('content-disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `${name.replaceAll('/', '_')}.${format}`;
    return { blob: await res.blob(), filename };
  },
};

export const keysApi = {
  list: () => request<{ items: ApiKey[] }>('/api-keys').then((r) => r.items),
  create: (body: {
    name: string;
    role: Role;
    readOnly?: boolean;
    environments?: string[];
    promptPrefix?: string;
    expiresAt?: string;
  }) => request<CreatedApiKey>('/api-keys', { method: 'POST', body }),
  rotate: (id: number, graceSeconds: number) =>
    request<CreatedApiKey>(`/api-keys/${id}/rotate`, { method: 'POST', body: { graceSeconds } }),
  revoke: (id: number) => request<ApiKey>(`/api-keys/${id}`, { method: 'DELETE' }),
};

export const providersApi = {
  list: () => request<{ items: ProviderInfo[] }>('/providers').then((r) => r.items),
  configure: (provider: string, body: ProviderCredentialRequest) =>
    request<ProviderInfo>(`/providers/${encodeURIComponent(provider)}`, { method: 'PUT', body }),
  remove: (provider: string) =>
    request<void>(`/providers/${encodeURIComponent(provider)}`, { method: 'DELETE' }),
  test: (provider: string, model: string) =>
    request<ProviderTestResult>(`/providers/${encodeURIComponent(provider)}/test`, {
      method: 'POST',
      body: { model },
    }),
};

export const environmentsApi = {
  list: () => request<{ items: Environment[] }>('/environments').then((r) => r.items),
  create: (body: CreateEnvironmentRequest) => request<Environment>('/environments', { method: 'POST', body }),
  update: (name: string, body: UpdateEnvironmentRequest) =>
    request<Environment>(`/environments/${encodeURIComponent(name)}`, { method: 'PATCH', body }),
};

export const pricesApi = {
  get: () => request<PriceTable>('/prices'),
  put: (items: PriceOverride[]) => request<PriceTable>('/prices', { method: 'PUT', body: { items } }),
};

export const thresholdsApi = {
  get: (prompt: string) => request<PromptThresholds>(`/prompts/${encodeName(prompt)}/thresholds`),
  put: (prompt: string, body: PromptThresholds) =>
    request<PromptThresholds>(`/prompts/${encodeName(prompt)}/thresholds`, { method: 'PUT', body }),
};
