import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/project-root.js';

/**
 * No Docker engine here: this runs the image's own start command, environment and health check
 * (read from the Dockerfile, so they cannot drift) on the compiled code outside Docker, with a
 * temporary directory standing in for the /data volume. SQLite only: that is the image's default.
 */
const run = promisify(execFile);
const root = projectRoot();

interface Image {
  env: Record<string, string>;
  cmd: string[];
  healthcheck: string[];
  user: string | undefined;
  volumes: string[];
}

/** The final stage's ENV, USER, VOLUME, HEALTHCHECK CMD and CMD. */
function readDockerfile(): Image {
  const text = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages = text.split(/^FROM /m);
  const final = stages[stages.length - 1]!.split('\n').map((line) => line.trim());
  const image: Image = { env: {}, cmd: [], healthcheck: [], user: undefined, volumes: [] };
  for (const line of final) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (instruction === 'ENV') for (const pair of rest) image.env[pair.split('=')[0]!] = pair.slice(pair.indexOf('=') + 1);
    if (instruction === 'CMD') image.cmd = JSON.parse(args);
    if (instruction === 'HEALTHCHECK') image.healthcheck = JSON.parse(args.slice(args.indexOf('CMD ') + 4));
    if (instruction === 'USER') image.user = args;
    if (instruction === 'VOLUME') image.volumes.push(args);
  }
  return image;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const image = readDockerfile();
let appDir: string;
let dataDir: string;
let keyFile: string;
const children: ChildProcess[] = [];

/** The image's layout, /app: package.json, node_modules, dist (compiled here) and migrations. */
beforeAll(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-image-'));
  appDir = path.join(tmp, 'app');
  dataDir = path.join(tmp, 'data');
  fs.mkdirSync(appDir);
  fs.mkdirSync(dataDir);
  fs.copyFileSync(path.join(root, 'package.json'), path.join(appDir, 'package.json'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(appDir, 'node_modules'));
  fs.symlinkSync(path.join(root, 'migrations'), path.join(appDir, 'migrations'));
  await run(
    process.execPath,
    [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(root, 'tsconfig.build.json'),
      '--outDir',
      path.join(appDir, 'dist'),
    ],
    { cwd: root },
  );
  keyFile = path.join(tmp, 'master.key');
  fs.writeFileSync(keyFile, `k1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
}, 180_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(path.dirname(appDir), { recursive: true, force: true });
});

function startImage(env: Record<string, string>) {
  const [command, ...args] = image.cmd;
  const child = spawn(command === 'node' ? process.execPath : command!, args, {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? '', ...image.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('the Docker image start command', () => {
  it('is what the Dockerfile promises: production, HOST=0.0.0.0, /data volume, non-root, node dist/src/server.js', () => {
    expect(image.env).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', FLEETVAULT_DATA_DIR: '/data' });
    expect(image.cmd).toEqual(['node', 'dist/src/server.js']);
    expect(image.user).toBe('node');
    expect(image.volumes).toContain('/data');
    expect(image.healthcheck[0]).toBe('node');
  });

  it('serves /healthz with a key from a file, and its HEALTHCHECK command exits 0', { timeout: 90_000 }, async () => {
    const port = String(await freePort());
    const env = { PORT: port, FLEETVAULT_DATA_DIR: dataDir, FLEETVAULT_MASTER_KEY_FILE: keyFile };
    const server = startImage(env);
    const listening = new Promise<void>((resolve, reject) => {
      const onData = () => server.output().includes('Server listening at') && resolve();
      server.child.stdout!.on('data', onData);
      void server.exited.then((code) => reject(new Error(`exited with ${code}: ${server.output()}`)));
    });
    await listening;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(fs.existsSync(path.join(dataDir, 'fleetvault.db'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);

    const [command, ...args] = image.healthcheck;
    const probe = await run(command === 'node' ? process.execPath : command!, args, {
      env: { PATH: process.env.PATH ?? '', ...image.env, ...env },
    }).then(
      () => 0,
      (error: { code?: number }) => error.code ?? 1,
    );
    expect(probe).toBe(0);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    // With the server gone, the same probe reports unhealthy.
    const down = await run(command === 'node' ? process.execPath : command!, args, {
      env: { PATH: process.env.PATH ?? '', ...image.env, ...env },
    }).then(
      () => 0,
      (error: { code?: number }) => error.code ?? 1,
    );
    expect(down).toBe(1);
  });

  it('refuses to start in production without a master key, saying how to give one', { timeout: 60_000 }, async () => {
    const emptyData = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-nokey-'));
    try {
      const server = startImage({ PORT: String(await freePort()), FLEETVAULT_DATA_DIR: emptyData });
      expect(await server.exited).not.toBe(0);
      expect(server.output()).toContain('FLEETVAULT_MASTER_KEY_FILE');
      expect(fs.existsSync(path.join(emptyData, 'master.key'))).toBe(false);
    } finally {
      fs.rmSync(emptyData, { recursive: true, force: true });
    }
  });
});
