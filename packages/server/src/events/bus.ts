/**
 * The in-process event bus: features publish what happened (`version.created`,
 * `deployment.changed`, `alert.fired`…) and other features subscribe, without either importing
 * the other's store. Publishing happens inside the publisher's transaction and every subscriber
 * runs in it too, so what a subscriber writes (a webhook delivery and its job, a notification)
 * exists exactly when the change it reports was committed: nothing is sent for a rolled-back
 * change, and nothing acknowledged goes unreported.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookEventType } from '@promptline/core';
import { type Clock, isoNow } from '../clock.ts';
import type { Db } from '../db/database.ts';

/** What a feature publishes. `data` holds ids and names, never end-user content. */
export interface DomainEvent {
  type: WebhookEventType;
  projectId: number;
  data: Record<string, unknown>;
}

/** An event as subscribers see it: with its id (`evt_…`) and time. */
export interface PublishedEvent extends DomainEvent {
  id: string;
  at: string;
}

/** Runs inside the publisher's transaction; a throw rolls the whole change back. */
export type EventSubscriber = (trx: Db, event: PublishedEvent) => Promise<void>;

/** What a publishing feature is given. */
export interface EventPublisher {
  publish(trx: Db, event: DomainEvent): Promise<PublishedEvent>;
}

export interface EventBus extends EventPublisher {
  subscribe(subscriber: EventSubscriber): void;
}

export function createEventBus({ clock }: { clock: Clock }): EventBus {
  const subscribers: EventSubscriber[] = [];
  return {
    subscribe(subscriber) {
      subscribers.push(subscriber);
    },
    async publish(trx, event) {
      const published: PublishedEvent = { ...event, id: `evt_${randomUUID()}`, at: isoNow(clock) };
      // One after the other: they share the transaction's connection.
      for (const subscriber of subscribers) await subscriber(trx, published);
      return published;
    },
  };
}

/** A publisher that tells no one (features built without a bus, e.g. in unit tests). */
export const noEvents: EventPublisher = {
  publish: async (_trx, event) => ({ ...event, id: 'evt_none', at: new Date(0).toISOString() }),
};
