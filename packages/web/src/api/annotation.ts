/** Client of human review: score definitions and annotation queues (edit, delete, claim, complete, skip, to dataset). */
import type {
  AddAnnotationItemsInput,
  AddAnnotationItemsResult,
  AnnotationItem,
  AnnotationItemPage,
  AnnotationQueue,
  AnnotationQueueDetail,
  CompleteAnnotationItemInput,
  CreateAnnotationQueueInput,
  CreateScoreDefinitionInput,
  NextAnnotationItem,
  ScoreDefinition,
  TracesToDatasetResult,
  UpdateAnnotationQueueRequest,
  UpdateScoreDefinitionRequest,
} from '@promptline/core';
import { request } from './client.ts';

const queue = (id: number) => `/annotation-queues/${id}`;

export const annotationApi = {
  definitions: async () => (await request<{ items: ScoreDefinition[] }>('/score-definitions')).items,
  createDefinition: (body: CreateScoreDefinitionInput) =>
    request<ScoreDefinition>('/score-definitions', { method: 'POST', body }),
  updateDefinition: (id: number, body: UpdateScoreDefinitionRequest) =>
    request<ScoreDefinition>(`/score-definitions/${id}`, { method: 'PATCH', body }),
  deleteDefinition: (id: number) =>
    request<{ deleted: true }>(`/score-definitions/${id}`, { method: 'DELETE' }),
  queues: async () => (await request<{ items: AnnotationQueue[] }>('/annotation-queues')).items,
  queue: (id: number) => request<AnnotationQueueDetail>(queue(id)),
  createQueue: (body: CreateAnnotationQueueInput) =>
    request<AnnotationQueue>('/annotation-queues', { method: 'POST', body }),
  updateQueue: (id: number, body: UpdateAnnotationQueueRequest) =>
    request<AnnotationQueue>(queue(id), { method: 'PATCH', body }),
  deleteQueue: (id: number) => request<{ deleted: true }>(queue(id), { method: 'DELETE' }),
  addItems: (id: number, body: AddAnnotationItemsInput) =>
    request<AddAnnotationItemsResult>(`${queue(id)}/items`, { method: 'POST', body }),
  items: (id: number, status?: string) =>
    request<AnnotationItemPage>(`${queue(id)}/items`, { query: { status, limit: 200 } }),
  next: (id: number) => request<NextAnnotationItem>(`${queue(id)}/next`),
  complete: (id: number, itemId: number, body: CompleteAnnotationItemInput) =>
    request<AnnotationItem>(`${queue(id)}/items/${itemId}/complete`, { method: 'POST', body }),
  skip: (id: number, itemId: number) =>
    request<AnnotationItem>(`${queue(id)}/items/${itemId}/skip`, { method: 'POST' }),
  toDataset: (id: number, itemId: number, dataset: string, create: boolean) =>
    request<TracesToDatasetResult>(`${queue(id)}/items/${itemId}/dataset`, {
      method: 'POST',
      body: { dataset, create },
    }),
};
