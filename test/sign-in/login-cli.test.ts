import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/project-root.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { startTestIdp, type TestIdp } from '../helpers/test-idp.js';
import { decideDevice, verifyDevice } from '../helpers/sign-in-flow.js';

/**
 * `fleetvault login` as a process against a listening vault (docs/cli.md): the code on stderr, the token alone on
 * stdout once the person approved in the "browser" (the verification pages, driven over HTTP), exit 1 when denied.
 */
let idp: TestIdp;
let t: TestApp;
let url: string;
let fleetId: string;

beforeAll(async () => {
  idp = await startTestIdp(
    [{ sub: 'ada', email: 'ada@fleetco.example', name: 'Ada', groups: ['ops'] }],
    'http://localhost:8080/auth/oidc/callback',
  );
  t = await buildTestApp({ env: idp.env() });
  const fleet = await t.newFleet();
  fleetId = fleet.fleetId;
  expect((await t.call(fleet.token, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'ops' })).statusCode).toBe(201);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

/** Runs the command; once it shows a user code, `approve` plays the person. */
function login(args: string[], approve: (userCode: string) => Promise<void>) {
  const root = projectRoot();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), 'login', '--url', url, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let approving: Promise<void> | undefined;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const code = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(stderr)?.[1];
    if (code !== undefined && approving === undefined) approving = approve(code);
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`login did not exit:\n${stderr}`))), 40_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      void Promise.resolve(approving).then(() => resolve({ code, stdout, stderr }), reject);
    });
  });
}

async function decide(userCode: string, decision: 'approve' | 'deny') {
  idp.signInAs('ada');
  const { confirm } = await verifyDevice(t, userCode);
  const res = await decideDevice(t, { user_code: userCode, confirm: confirm!, decision, fleet: fleetId });
  expect(res.statusCode).toBe(200);
}

describe('fleetvault login', () => {
  it('prints the verification URI and code on stderr, polls, and prints the person token alone on stdout', async () => {
    const run = await login([], (code) => decide(code, 'approve'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/open http:\/\/localhost:8080\/auth\/device and enter the code [A-Z]{4}-[A-Z]{4}/);
    expect(run.stderr).toContain('Signed in as ada@fleetco.example');
    const token = run.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    expect((await t.call(token, 'GET', '/vehicles')).statusCode).toBe(200);
  }, 45_000);

  it('--export prints a shell line; a denial exits 1 saying so', async () => {
    const denied = await login(['--export'], (code) => decide(code, 'deny'));
    expect(denied.code).toBe(1);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toContain('the sign-in was denied');
    const approved = await login(['--export'], (code) => decide(code, 'approve'));
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/^export FLEETVAULT_TOKEN=[\w-]+\.[\w-]+\.[\w-]+\n$/);
  }, 90_000);
});
