import { PriceOverride } from '@promptline/core';
import type { Generated } from 'kysely';
import { z } from 'zod';
import { decodeJsonAs, encodeJson } from '../db/codecs.ts';
import type { Db } from '../db/database.ts';

/** Tables of this feature (created by migration `0020_provider_credentials`). */
// A type alias, not an interface: withTables() needs the implicit index signature.
export type ProviderTables = {
  provider_credentials: {
    id: Generated<number>;
    project_id: number;
    provider: string;
    kind: string;
    /** Encrypted `{"apiKey","headers"}`; never plaintext. */
    secret: string | null;
    key_hint: string | null;
    header_names: string;
    base_url: string | null;
    updated_at: string;
    updated_by: string;
  };
  price_overrides: {
    project_id: number;
    entries: string;
    updated_at: string;
    updated_by: string;
  };
};

/** A stored credential, secret still encrypted. */
export interface StoredCredential {
  provider: string;
  kind: string;
  secret: string | null;
  keyHint: string | null;
  headerNames: string[];
  baseUrl: string | null;
  updatedAt: string;
  updatedBy: string;
}

export interface StoredPrices {
  entries: PriceOverride[];
  updatedAt: string;
  updatedBy: string;
}

const COLUMNS = [
  'provider',
  'kind',
  'secret',
  'key_hint',
  'header_names',
  'base_url',
  'updated_at',
  'updated_by',
] as const;

type Row = Omit<ProviderTables['provider_credentials'], 'id' | 'project_id'>;

function toCredential(row: Row): StoredCredential {
  return {
    provider: row.provider,
    kind: row.kind,
    secret: row.secret,
    keyHint: row.key_hint,
    headerNames:
      decodeJsonAs(z.array(z.string()).nullable(), row.header_names, 'provider header names') ?? [],
    baseUrl: row.base_url,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

const tables = (db: Db) => db.withTables<ProviderTables>();

/** SQL of provider credentials and price overrides. */
export function createProviderStore() {
  return {
    async list(db: Db, projectId: number): Promise<StoredCredential[]> {
      const rows = await tables(db)
        .selectFrom('provider_credentials')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .orderBy('provider', 'asc')
        .execute();
      return rows.map(toCredential);
    },

    async find(db: Db, projectId: number, provider: string): Promise<StoredCredential | undefined> {
      const row = await tables(db)
        .selectFrom('provider_credentials')
        .select(COLUMNS)
        .where('project_id', '=', projectId)
        .where('provider', '=', provider)
        .executeTakeFirst();
      return row ? toCredential(row) : undefined;
    },

    /** Inserts or replaces the credential of `provider`. */
    async save(db: Db, projectId: number, credential: StoredCredential): Promise<void> {
      const values = {
        kind: credential.kind,
        secret: credential.secret,
        key_hint: credential.keyHint,
        header_names: encodeJson(credential.headerNames),
        base_url: credential.baseUrl,
        updated_at: credential.updatedAt,
        updated_by: credential.updatedBy,
      };
      // ON CONFLICT works the same on SQLite and PostgreSQL: two first saves cannot both insert.
      await tables(db)
        .insertInto('provider_credentials')
        .values({ project_id: projectId, provider: credential.provider, ...values })
        .onConflict((oc) => oc.columns(['project_id', 'provider']).doUpdateSet(values))
        .execute();
    },

    async remove(db: Db, projectId: number, provider: string): Promise<boolean> {
      const result = await tables(db)
        .deleteFrom('provider_credentials')
        .where('project_id', '=', projectId)
        .where('provider', '=', provider)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async prices(db: Db, projectId: number): Promise<StoredPrices | undefined> {
      const row = await tables(db)
        .selectFrom('price_overrides')
        .select(['entries', 'updated_at', 'updated_by'])
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        entries: decodeJsonAs(z.array(PriceOverride).nullable(), row.entries, 'price overrides') ?? [],
        updatedAt: row.updated_at,
        updatedBy: row.updated_by,
      };
    },

    async savePrices(db: Db, projectId: number, prices: StoredPrices): Promise<void> {
      const values = {
        entries: encodeJson(prices.entries),
        updated_at: prices.updatedAt,
        updated_by: prices.updatedBy,
      };
      await tables(db)
        .insertInto('price_overrides')
        .values({ project_id: projectId, ...values })
        .onConflict((oc) => oc.column('project_id').doUpdateSet(values))
        .execute();
    },
  };
}

export type ProviderStore = ReturnType<typeof createProviderStore>;
