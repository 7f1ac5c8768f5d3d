/**
 * `fleetvault login` (docs/cli.md, docs/sign-in.md): the device authorization grant (RFC 8628) as a command. It
 * speaks HTTP to a running vault, like any client: no database, no key. The code to type goes to stderr, the
 * token alone to stdout, so `TOKEN=$(fleetvault login)` works.
 */
export const loginUsage = `  login [--url <vault URL>] [--fleet <fleet id>] [--export | --json]   sign in as yourself at the organisation's
                              identity provider (a browser on any device) and print a person token; --export prints
                              \`export FLEETVAULT_TOKEN=…\` (docs/sign-in.md)`;

export class LoginUsageError extends Error {}

export interface LoginOptions {
  url: string;
  fleet?: string | undefined;
  output: 'token' | 'export' | 'json';
}

export interface LoginIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  fetch: typeof fetch;
  sleep: (seconds: number) => Promise<void>;
}

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

async function post(io: LoginIo, url: string, form: Record<string, string>) {
  const res = await io.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
  });
  let body: Record<string, unknown> = {};
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    // A proxy's HTML page: the status says enough.
  }
  return { status: res.status, body };
}

const describeError = (body: Record<string, unknown>, status: number) =>
  typeof body.error === 'string'
    ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`
    : `HTTP ${status}`;

/** Runs the device flow; resolves to the exit code (0 signed in, 1 refused or failed). */
export async function runLogin(options: LoginOptions, io: LoginIo): Promise<number> {
  const base = options.url.replace(/\/+$/, '');
  const started = await post(io, `${base}/oauth/device_authorization`, {
    client_id: 'fleetvault-cli',
    ...(options.fleet !== undefined && { fleet: options.fleet }),
  });
  if (started.status === 404) {
    io.stderr.write(`fleetvault: person sign-in is off at ${base} (no identity provider configured)\n`);
    return 1;
  }
  const device = started.body as {
    device_code?: string;
    user_code?: string;
    verification_uri?: string;
    verification_uri_complete?: string;
  };
  const interval0 = Number(started.body.interval ?? 5);
  if (started.status !== 200 || device.device_code === undefined) {
    io.stderr.write(`fleetvault: the vault refused to start a sign-in (${describeError(started.body, started.status)})\n`);
    return 1;
  }
  io.stderr.write(
    `To sign in, open ${device.verification_uri} and enter the code ${device.user_code}\n` +
      `(or open ${device.verification_uri_complete})\nWaiting for you to approve…\n`,
  );
  // RFC 8628 §3.5: poll no faster than `interval`; each slow_down adds 5 seconds for good.
  let interval = Number.isFinite(interval0) && interval0 > 0 ? interval0 : 5;
  const deadline = Date.now() + Number(started.body.expires_in ?? 600) * 1000;
  while (Date.now() < deadline + interval * 1000) {
    await io.sleep(interval);
    const polled = await post(io, `${base}/oauth/token`, {
      grant_type: DEVICE_CODE_GRANT,
      client_id: 'fleetvault-cli',
      device_code: device.device_code,
    });
    if (polled.status === 200 && typeof polled.body.access_token === 'string') {
      const token = polled.body.access_token;
      const person = polled.body.person as { label?: string } | undefined;
      io.stderr.write(
        `Signed in as ${person?.label ?? 'you'} in fleet ${String(polled.body.fleet_id)}, for ${String(polled.body.expires_in)} s\n`,
      );
      if (options.output === 'json') io.stdout.write(JSON.stringify(polled.body) + '\n');
      else if (options.output === 'export') io.stdout.write(`export FLEETVAULT_TOKEN=${token}\n`);
      else io.stdout.write(token + '\n');
      return 0;
    }
    const error = polled.body.error;
    if (error === 'authorization_pending') continue;
    if (error === 'slow_down' && polled.status === 400) {
      interval += 5;
      continue;
    }
    // A rate limit (429) is worth waiting out too.
    if (polled.status === 429) {
      interval += 5;
      continue;
    }
    const why =
      error === 'access_denied'
        ? 'the sign-in was denied (or no sign-in rule lets you in)'
        : error === 'expired_token'
          ? 'the code expired before it was approved; run fleetvault login again'
          : describeError(polled.body, polled.status);
    io.stderr.write(`fleetvault: ${why}\n`);
    return 1;
  }
  io.stderr.write('fleetvault: the code expired before it was approved; run fleetvault login again\n');
  return 1;
}
