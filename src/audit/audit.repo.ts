import { type Kysely, type Selectable, sql } from 'kysely';
import { compiledQuery } from '../db/compiled-query.js';
import { batchMemo } from '../db/batch-memo.js';
import type { Engine } from '../db/database.js';
import type { AuditEventsTable, DB } from '../db/schema.js';
import type { AuditAction } from './audit-actions.js';
import { type AuditEvent, type ChainHead, GENESIS_HASH } from './audit-chain.js';

export interface AuditListFilter {
  action?: string | undefined;
  targetId?: string | undefined;
  actorId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  /** Only events with a smaller seq (the cursor of newest-first paging). */
  beforeSeq?: number | undefined;
  limit: number;
}

export function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    id: row.id,
    fleet_id: row.fleet_id,
    seq: Number(row.seq),
    at: row.at,
    // A label only for a person (migration 0009): events without one were hashed without it.
    actor:
      row.actor_label == null
        ? { type: row.actor_type, id: row.actor_id }
        : { type: row.actor_type, id: row.actor_id, label: row.actor_label },
    action: row.action as AuditAction,
    // `brand` is absent rather than null when the target has none, and '' stores a null id: the hash was computed on the event as written.
    target: {
      type: row.target_type,
      id: row.target_id === '' ? null : row.target_id,
      ...(row.target_brand !== null && { brand: row.target_brand }),
    },
    request_id: row.request_id,
    // Absent rather than null: events written without one (all of them before migration 0008) were hashed without it.
    ...(row.client_request_id !== null && { client_request_id: row.client_request_id }),
    outcome: row.outcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

function toAuditRow(
  chain: string,
  event: AuditEvent,
): Omit<AuditEventsTable, 'client_request_id' | 'actor_label'> & { client_request_id?: string; actor_label?: string } {
  return {
    id: event.id,
    chain,
    fleet_id: event.fleet_id,
    seq: event.seq,
    at: event.at,
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    action: event.action,
    target_type: event.target.type,
    target_id: event.target.id ?? '',
    target_brand: event.target.brand ?? null,
    request_id: event.request_id,
    ...(event.client_request_id !== undefined && { client_request_id: event.client_request_id }),
    ...(event.actor.label !== undefined && { actor_label: event.actor.label }),
    outcome: event.outcome,
    details: JSON.stringify(event.details),
    prev_hash: event.prev_hash,
    hash: event.hash,
  };
}

const baseColumns = [
  'id',
  'chain',
  'fleet_id',
  'seq',
  'at',
  'actor_type',
  'actor_id',
  'action',
  'target_type',
  'target_id',
  'target_brand',
  'request_id',
  'outcome',
  'details',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditEventsTable)[];

// Every write appends an event: the three statements of an append are compiled once (src/db/compiled-query.ts).
const takeNextSeqQuery = compiledQuery(['chain'], (db, v) =>
  db
    .insertInto('audit_heads')
    .values({ chain: v.chain, seq: 1, hash: GENESIS_HASH, at: null })
    .onConflict((oc) => oc.column('chain').doUpdateSet({ seq: sql<number>`audit_heads.seq + 1` }))
    .returning(['seq', 'hash']),
);
const auditColumns = [...baseColumns, 'client_request_id'] as const satisfies readonly (keyof AuditEventsTable)[];
/** A person's events (docs/design.md §2.11) carry the actor's label too (migration 0009). */
const labelledColumns = [...auditColumns, 'actor_label'] as const satisfies readonly (keyof AuditEventsTable)[];

/**
 * The inserts, in two column sets: an event without a caller's id is written without the column (NULL), as
 * before migration 0008, so the same code writes into a database of any earlier schema (an upgrade test's).
 */
const insertBase = compiledQuery(baseColumns, (db, v) => db.insertInto('audit_events').values(v));
const insertWithClientId = compiledQuery(auditColumns, (db, v) => db.insertInto('audit_events').values(v));
const insertBaseAndMoveHead = compiledQuery(baseColumns, (db, v) =>
  db
    .with('event', (qb) => qb.insertInto('audit_events').values(v))
    .updateTable('audit_heads')
    .set({ seq: v.seq, hash: v.hash, at: v.at })
    .where('chain', '=', v.chain),
);
const insertWithClientIdAndMoveHead = compiledQuery(auditColumns, (db, v) =>
  db
    .with('event', (qb) => qb.insertInto('audit_events').values(v))
    .updateTable('audit_heads')
    .set({ seq: v.seq, hash: v.hash, at: v.at })
    .where('chain', '=', v.chain),
);
const insertLabelled = compiledQuery(labelledColumns, (db, v) => db.insertInto('audit_events').values(v));
const insertLabelledAndMoveHead = compiledQuery(labelledColumns, (db, v) =>
  db
    .with('event', (qb) => qb.insertInto('audit_events').values(v))
    .updateTable('audit_heads')
    .set({ seq: v.seq, hash: v.hash, at: v.at })
    .where('chain', '=', v.chain),
);
const moveHeadQuery = compiledQuery(['chain', 'seq', 'hash', 'at'], (db, v) =>
  db.updateTable('audit_heads').set({ seq: v.seq, hash: v.hash, at: v.at }).where('chain', '=', v.chain),
);

/** The key of a chain's head in the batch memo (group-commit.ts). */
const headMemoKey = (chain: string) => `audit-head:${chain}`;

/** SQL of the audit trail. Chains are named by fleet id, or 'system'. */
export function createAuditRepo(db: Kysely<DB>, engine: Engine) {
  /** Writes the event and moves the head to it; the number of heads moved (1, or 0 if the chain's head is gone). */
  async function insertAndMoveHead(chain: string, event: AuditEvent): Promise<bigint | undefined> {
    const row = toAuditRow(chain, event);
    const { client_request_id: clientRequestId, actor_label: actorLabel, ...base } = row;
    if (actorLabel !== undefined) {
      const labelled = { ...base, client_request_id: clientRequestId ?? null, actor_label: actorLabel };
      if (engine === 'postgres') return (await insertLabelledAndMoveHead(db, engine, labelled)).numAffectedRows;
      await insertLabelled(db, engine, labelled);
      return (await moveHeadQuery(db, engine, { chain, seq: event.seq, hash: event.hash, at: event.at })).numAffectedRows;
    }
    if (engine === 'postgres') {
      if (clientRequestId === undefined) return (await insertBaseAndMoveHead(db, engine, base)).numAffectedRows;
      return (await insertWithClientIdAndMoveHead(db, engine, { ...base, client_request_id: clientRequestId })).numAffectedRows;
    }
    if (clientRequestId === undefined) await insertBase(db, engine, base);
    else await insertWithClientId(db, engine, { ...base, client_request_id: clientRequestId });
    return (await moveHeadQuery(db, engine, { chain, seq: event.seq, hash: event.hash, at: event.at })).numAffectedRows;
  }

  return {
    /**
     * Takes the chain's next seq and the previous hash. The upsert locks the chain's head row until
     * the transaction ends (PostgreSQL row lock; SQLite has one writer), so concurrent writers,
     * replicas included, queue here and a chain never forks; a rollback gives the seq back.
     * In a group commit, once a unit of the batch has moved the head, the batch's transaction holds it locked to
     * its end: the next units take it from the batch memo (one round trip less each) and `insert` moves the
     * head's seq with its hash. A unit that fails empties the memo, so the next one reads the head again.
     */
    async takeNextSeq(chain: string): Promise<{ seq: number; prevHash: string }> {
      const known = batchMemo(db)?.get(headMemoKey(chain)) as { seq: number; hash: string } | undefined;
      if (known !== undefined) return { seq: known.seq + 1, prevHash: known.hash };
      const [row] = (await takeNextSeqQuery(db, engine, { chain })).rows;
      if (row === undefined) throw new Error(`audit chain ${chain}: the head upsert returned no row`);
      return { seq: Number(row.seq), prevHash: row.hash };
    },

    /**
     * Writes the event and moves the chain's head to it. Called with the head locked by `takeNextSeq`,
     * so every round trip here is time the chain's other writers wait: on PostgreSQL the two writes are
     * one statement (a data-modifying WITH, https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-MODIFYING),
     * which still fails as a whole when the event cannot be written. SQLite has no INSERT inside WITH,
     * and its statements cost no round trip.
     */
    async insert(chain: string, event: AuditEvent): Promise<void> {
      // No head moved: it was deleted under the unit (a fleet purged in the same batch). Never an event off the chain.
      if ((await insertAndMoveHead(chain, event)) !== 1n) throw new Error(`audit chain ${chain}: its head is gone`);
      batchMemo(db)?.set(headMemoKey(chain), { seq: event.seq, hash: event.hash });
    },

    async head(chain: string): Promise<(ChainHead & { at: string | null }) | undefined> {
      const row = await db.selectFrom('audit_heads').select(['seq', 'hash', 'at']).where('chain', '=', chain).executeTakeFirst();
      return row && { seq: Number(row.seq), hash: row.hash, at: row.at };
    },

    /** Every chain that has a head, system chain included. */
    async chains(): Promise<string[]> {
      return (await db.selectFrom('audit_heads').select('chain').orderBy('chain').execute()).map((r) => r.chain);
    },

    /** Newest first, filtered (GET /audit). */
    async list(chain: string, filter: AuditListFilter): Promise<AuditEvent[]> {
      let query = db.selectFrom('audit_events').selectAll().where('chain', '=', chain);
      if (filter.action !== undefined) query = query.where('action', '=', filter.action);
      if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
      if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
      if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('at', '<', filter.until);
      if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
      const rows = await query.orderBy('seq', 'desc').limit(filter.limit).execute();
      return rows.map(toAuditEvent);
    },

    /** Oldest first from `afterSeq`, in pages (verify and export stream a chain through this). */
    async page(chain: string, afterSeq: number, limit: number, since?: string): Promise<AuditEvent[]> {
      let query = db.selectFrom('audit_events').selectAll().where('chain', '=', chain).where('seq', '>', afterSeq);
      if (since !== undefined) query = query.where('at', '>=', since);
      const rows = await query.orderBy('seq').limit(limit).execute();
      return rows.map(toAuditEvent);
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
