import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactPaths } from '../../src/logging.js';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

/** A pino logger writing JSON lines into memory, like the server's own (same redaction). */
function memoryLogger() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'info', redact: { paths: redactPaths, censor: '[redacted]' } },
    { write: (line: string) => void lines.push(line) },
  );
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('integrity: a sealed value only opens in its own row', () => {
  const log = memoryLogger();
  let t: TestApp;
  let token: string;
  const victimSecret = `victim-${randomBytes(12).toString('hex')}`;
  const donorSecret = `donor-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    t = await buildTestApp({ logger: log.logger });
    token = (await t.newFleet()).token;
  });

  afterAll(async () => {
    await t?.close();
  });

  async function createNiu(clientId: string, secret: string): Promise<string> {
    const res = await t.call(token, 'POST', '/niu/credentials', { client_id: clientId, client_secret: secret });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }

  function sealedOf(id: string) {
    return t.deps.database.db
      .selectFrom('credentials')
      .select(['sealed_secrets', 'secret_version'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  function expectOpaque500(res: Awaited<ReturnType<TestApp['call']>>, secrets: string[]) {
    const body = expectProblem(res, 'internal-server-error', 500);
    expect(Object.keys(body).sort()).toEqual(['detail', 'request_id', 'status', 'title', 'type']);
    for (const secret of secrets) expect(res.body).not.toContain(secret);
    expect(res.body).not.toMatch(/integrity|sealed|authentication|decrypt|stack|aead|sqlite|kysely/i);
    return body;
  }

  function integrityEvents(requestId: unknown) {
    return log.records().filter((r) => r.event === 'integrity-failure' && r.request_id === requestId);
  }

  it('a ciphertext copied onto another credential does not open: 500, logged as an integrity failure', async () => {
    const donor = await createNiu('donor-client', donorSecret);
    const victim = await createNiu('victim-client', victimSecret);
    const { sealed_secrets } = await sealedOf(donor);
    await t.deps.database.db.updateTable('credentials').set({ sealed_secrets }).where('id', '=', victim).execute();

    const res = await t.call(token, 'PATCH', `/niu/credentials/${victim}`, { client_secret: 'new-secret-value' });
    const body = expectOpaque500(res, [donorSecret, victimSecret, 'new-secret-value']);

    const events = integrityEvents(body.request_id);
    expect(events).toHaveLength(1);
    expect(events[0]!.level).toBe(50);
    // The log names the row to investigate.
    expect(events[0]!.reason).toContain(victim);
    const allLogs = log.lines.join('\n');
    for (const secret of [donorSecret, victimSecret, 'new-secret-value']) expect(allLogs).not.toContain(secret);

    // The victim was not rotated; the donor is untouched and still rotates.
    const after = await t.call(token, 'GET', `/niu/credentials/${victim}`);
    expect(after.json().secret_version).toBe(1);
    const donorRotation = await t.call(token, 'PATCH', `/niu/credentials/${donor}`, { client_secret: 'donor-rotated' });
    expect(donorRotation.statusCode, donorRotation.body).toBe(200);
    expect(donorRotation.json().secret_version).toBe(2);
  });

  it('changing secret_version alone breaks the binding; the original row still rotates', async () => {
    const id = await createNiu('version-client', `v-${victimSecret}`);
    const other = await createNiu('version-client-2', `w-${victimSecret}`);
    await t.deps.database.db.updateTable('credentials').set({ secret_version: 7 }).where('id', '=', id).execute();

    const res = await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'next-one' });
    const body = expectOpaque500(res, [victimSecret, 'next-one']);
    expect(integrityEvents(body.request_id)).toHaveLength(1);

    // Put the version back: the row opens again, so the failure was the binding, not the data.
    await t.deps.database.db.updateTable('credentials').set({ secret_version: 1 }).where('id', '=', id).execute();
    const restored = await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'next-one' });
    expect(restored.statusCode, restored.body).toBe(200);
    expect(restored.json().secret_version).toBe(2);
    const untouched = await t.call(token, 'PATCH', `/niu/credentials/${other}`, { client_secret: 'other-next' });
    expect(untouched.statusCode).toBe(200);
  });

  it('a ciphertext moved to the same credential id in another fleet does not open', async () => {
    const id = await createNiu('cross-fleet-client', `x-${donorSecret}`);
    const other = await t.newFleet();
    const res = await t.call(other.token, 'POST', '/niu/credentials', { client_id: 'cross-fleet-client', client_secret: 'b-side' });
    const otherId = res.json().id as string;
    const { sealed_secrets } = await sealedOf(id);
    await t.deps.database.db.updateTable('credentials').set({ sealed_secrets }).where('id', '=', otherId).execute();
    const rotate = await t.call(other.token, 'PATCH', `/niu/credentials/${otherId}`, { client_secret: 'b-side-2' });
    const body = expectOpaque500(rotate, [donorSecret, 'b-side']);
    expect(integrityEvents(body.request_id)).toHaveLength(1);
  });

  it('a flipped byte in the stored ciphertext is an integrity failure, not a crash', async () => {
    const id = await createNiu('flip-client', `f-${donorSecret}`);
    const { sealed_secrets } = await sealedOf(id);
    const tampered = Buffer.from(sealed_secrets);
    tampered[tampered.length - 5] = tampered[tampered.length - 5]! ^ 0x80;
    await t.deps.database.db.updateTable('credentials').set({ sealed_secrets: tampered }).where('id', '=', id).execute();
    const res = await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'flip-2' });
    const body = expectOpaque500(res, [donorSecret]);
    expect(integrityEvents(body.request_id)).toHaveLength(1);
    // Reads that do not open the secrets are unaffected.
    const get = await t.call(token, 'GET', `/niu/credentials/${id}`);
    expect(get.statusCode).toBe(200);
  });
});
