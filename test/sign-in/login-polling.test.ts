import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLogin } from '../../src/sign-in/login.cli.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { startTestIdp, type TestIdp } from '../helpers/test-idp.js';
import { decideDevice, verifyDevice } from '../helpers/sign-in-flow.js';

/**
 * `fleetvault login`'s polling against a listening vault (RFC 8628 §3.5): its waits are the vault's clock moving on
 * (no real sleeping), so a poll that comes too early meets the real slow_down and the command's next wait is longer.
 */
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
let idp: TestIdp;
let t: TestApp;
let plain: TestApp;
let fleetId: string;

beforeAll(async () => {
  idp = await startTestIdp(
    [{ sub: 'ada', email: 'ada@fleetco.example', name: 'Ada', groups: ['ops'] }],
    'http://localhost:8080/auth/oidc/callback',
  );
  t = await buildTestApp({ env: idp.env(), clock });
  const fleet = await t.newFleet();
  fleetId = fleet.fleetId;
  expect((await t.call(fleet.token, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'ops' })).statusCode).toBe(201);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  plain = await buildTestApp();
  await plain.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await plain?.close();
  await t?.close();
  await idp?.close();
});

const urlOf = (app: TestApp) => `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}`;

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
  };
}

describe('fleetvault login polling', () => {
  it('honours slow_down: after one, every wait is 5 s longer', async () => {
    const io = capture();
    const waits: number[] = [];
    const sleep = async (seconds: number) => {
      waits.push(seconds);
      // The second wait is cut short (a poll too early); the third is when the person approves.
      if (waits.length !== 2) offsetMs += seconds * 1000;
      if (waits.length === 3) {
        const userCode = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(io.out.stderr)![1]!;
        const { confirm } = await verifyDevice(t, userCode);
        await decideDevice(t, { user_code: userCode, confirm: confirm!, decision: 'approve', fleet: fleetId });
      }
    };
    const code = await runLogin({ url: urlOf(t), output: 'json' }, { ...io, fetch, sleep });
    expect(code, io.out.stderr).toBe(0);
    expect(waits).toEqual([5, 5, 10]);
    expect(JSON.parse(io.out.stdout)).toMatchObject({ token_type: 'Bearer', fleet_id: fleetId, person: { email: 'ada@fleetco.example' } });
  });

  it('says so and exits 1 when the vault has no identity provider', async () => {
    const io = capture();
    const code = await runLogin({ url: urlOf(plain), output: 'token' }, { ...io, fetch, sleep: async () => {} });
    expect(code).toBe(1);
    expect(io.out.stderr).toContain('person sign-in is off');
    expect(io.out.stdout).toBe('');
  });
});
