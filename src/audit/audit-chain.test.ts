import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AuditEvent, eventHash, GENESIS_HASH, verifyChain } from './audit-chain.js';

const key = randomBytes(32);
const fleetId = '01JFLEET000000000000000000';

/** A valid chain of n events, as the writer makes them. */
function chain(n: number, signingKey = key): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const unhashed = {
      id: `01JEVENT${String(seq).padStart(18, '0')}`,
      fleet_id: fleetId,
      seq,
      at: new Date(Date.UTC(2026, 11, 1, 10, 0, seq)).toISOString(),
      actor: { type: 'client' as const, id: '01JCLIENT00000000000000000' },
      action: 'credential.rotated' as const,
      target: { type: 'credential', id: '01JCRED0000000000000000000', brand: 'niu' },
      request_id: `req-${seq}`,
      outcome: 'success' as const,
      details: { secret_version: seq + 1, fields: ['client_secret'] },
      prev_hash: prev,
    };
    const event = { ...unhashed, hash: eventHash(signingKey, unhashed) };
    events.push(event);
    prev = event.hash;
  }
  return events;
}

const headOf = (events: AuditEvent[]) => ({ seq: events.at(-1)!.seq, hash: events.at(-1)!.hash });

describe('verifyChain', () => {
  it('accepts an intact chain and reports its head', async () => {
    const events = chain(10);
    const report = await verifyChain({ key, fleetId, events, storedHead: headOf(events), expectHead: { seq: 4, hash: events[3]!.hash } });
    expect(report).toEqual({ fleet_id: fleetId, events: 10, head: headOf(events) });
  });

  it('hashes depend on the key: the same chain under another key is altered at seq 1', async () => {
    const report = await verifyChain({ key: randomBytes(32), fleetId, events: chain(3) });
    expect(report.problem).toMatchObject({ seq: 1, kind: 'altered' });
  });

  it('finds an edited details value', async () => {
    const events = chain(10);
    events[5] = { ...events[5]!, details: { ...events[5]!.details, secret_version: 99 } };
    const report = await verifyChain({ key, fleetId, events, storedHead: headOf(events) });
    expect(report.problem).toMatchObject({ seq: 6, kind: 'altered' });
    expect(report.events).toBe(5);
  });

  it('finds a deleted event as missing', async () => {
    const events = chain(10);
    events.splice(3, 1);
    expect((await verifyChain({ key, fleetId, events })).problem).toMatchObject({ seq: 4, kind: 'missing' });
  });

  it('finds two events whose seq were swapped as reordered', async () => {
    const events = chain(10);
    const [a, b] = [events[2]!, events[6]!];
    const swapped = [...events];
    swapped[2] = { ...b, seq: 3 };
    swapped[6] = { ...a, seq: 7 };
    const report = await verifyChain({ key, fleetId, events: swapped });
    expect(report.problem).toMatchObject({ seq: 3, kind: 'reordered' });
    expect(report.problem!.detail).toContain('seq 7');
  });

  it('finds adjacent swapped events as reordered', async () => {
    const events = chain(5);
    const swapped = [events[0]!, { ...events[2]!, seq: 2 }, { ...events[1]!, seq: 3 }, events[3]!, events[4]!];
    expect((await verifyChain({ key, fleetId, events: swapped })).problem).toMatchObject({ seq: 2, kind: 'reordered' });
  });

  it('finds a forged event inserted in the middle (later events renumbered) as inserted', async () => {
    const events = chain(6);
    const forged: AuditEvent = {
      ...events[2]!,
      id: '01JFORGED00000000000000000',
      seq: 3,
      details: { secret_version: 1, fields: [] },
      hash: 'x'.repeat(43),
    };
    const renumbered = [...events.slice(0, 2), forged, ...events.slice(2).map((e) => ({ ...e, seq: e.seq + 1 }))];
    expect((await verifyChain({ key, fleetId, events: renumbered })).problem).toMatchObject({ seq: 3, kind: 'inserted' });
  });

  it('finds a forged event appended past the recorded head as inserted', async () => {
    const events = chain(4);
    const head = headOf(events);
    const forged: AuditEvent = { ...events[3]!, id: '01JFORGED00000000000000000', seq: 5, prev_hash: head.hash, hash: 'y'.repeat(43) };
    const report = await verifyChain({ key, fleetId, events: [...events, forged], storedHead: head });
    expect(report.problem).toMatchObject({ seq: 5, kind: 'inserted' });
  });

  it('finds an event of another fleet copied into the chain as inserted', async () => {
    const events = chain(3);
    events[1] = { ...events[1]!, fleet_id: '01JOTHERFLEET0000000000000' };
    expect((await verifyChain({ key, fleetId, events })).problem).toMatchObject({ seq: 2, kind: 'inserted' });
  });

  it('finds a truncated tail against the recorded head, and against an expected head when both were cut', async () => {
    const events = chain(8);
    const truncated = events.slice(0, 5);
    expect((await verifyChain({ key, fleetId, events: truncated, storedHead: headOf(events) })).problem).toMatchObject({
      seq: 6,
      kind: 'missing',
    });
    // The attacker also rewound the recorded head: only the anchor kept outside the vault sees it.
    const rewound = headOf(truncated);
    expect((await verifyChain({ key, fleetId, events: truncated, storedHead: rewound })).problem).toBeUndefined();
    const anchored = await verifyChain({ key, fleetId, events: truncated, storedHead: rewound, expectHead: headOf(events) });
    expect(anchored.problem).toMatchObject({ seq: 6, kind: 'missing' });
  });

  it('finds an expected head whose hash differs', async () => {
    const events = chain(4);
    const report = await verifyChain({ key, fleetId, events, expectHead: { seq: 2, hash: events[3]!.hash } });
    expect(report.problem).toMatchObject({ seq: 2, kind: 'altered' });
  });

  it('reads an async source lazily, as the CLI streams a large chain', async () => {
    const events = chain(50);
    async function* stream() {
      for (const e of events) yield e;
    }
    expect((await verifyChain({ key, fleetId, events: stream() })).events).toBe(50);
  });
});
