import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import type { BrandAdapter } from '../../src/brands/brand-adapter.js';
import type { AppendExchangeEvent, ExchangeAuditEvent, ExchangeContext } from '../../src/exchange/exchange.service.js';
import { createLogger } from '../../src/logging.js';
import { type Emulators, startAllEmulators } from '../emulators/all.js';
import { buildTestApp, type TestApp } from './test-app.js';

/** A clock that runs with real time, moved forward on demand (expiry, breaker windows). */
export function movableClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}

export interface ExchangeTestApp {
  t: TestApp;
  emulators: Emulators;
  clock: ReturnType<typeof movableClock>;
  /** Audit events handed to the recorder (in the exchange's real unit of work), in order. */
  events: { context: ExchangeContext; event: ExchangeAuditEvent }[];
  /** Backoff delays the client asked for (the test's sleep returns at once). */
  sleeps: number[];
  /** Every log line, at trace level, through the production logger setup. */
  logLines: string[];
  /** An admin token of a fleet of its own (every scope). */
  token: string;
  fleetId: string;
  exchange(id: string, brand: string, body?: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The app pointed at the emulators (FLEETVAULT_BRAND_URL_*), with a recorder, sleep and clock the test controls. */
export async function buildExchangeApp(
  /** `realAudit`: the vault's own audit trail records the events (then `events` stays empty). */
  options: {
    /** Writes each event in the exchange's transaction in place of the audit trail (one that throws rolls it back). */
    appendEvent?: AppendExchangeEvent;
    env?: Record<string, string>;
    realAudit?: boolean;
    /** Brand flows in place of the catalogue's (an adapter that misbehaves on purpose). */
    adapters?: ReadonlyMap<string, BrandAdapter>;
  } = {},
): Promise<ExchangeTestApp> {
  const emulators = await startAllEmulators();
  const clock = movableClock();
  emulators['high-mobility']!.now = () => clock.now().getTime();
  const events: ExchangeTestApp['events'] = [];
  const sleeps: number[] = [];
  const logLines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  const t = await buildTestApp({
    clock,
    env: { ...emulators.env, ...options.env },
    logger: createLogger('trace', stream),
    exchange: {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...(options.adapters && { adapters: options.adapters }),
      ...(!options.realAudit && {
        appendEvent:
          options.appendEvent ??
          (async (_repos, context: ExchangeContext, event: ExchangeAuditEvent) => {
            events.push({ context, event });
          }),
      }),
    },
  });
  const { token, fleetId } = await t.newFleet();
  return {
    t,
    emulators,
    clock,
    events,
    sleeps,
    logLines,
    token,
    fleetId,
    exchange: (id, brand, body) => t.call(token, 'POST', `/${brand}/credentials/${id}/token`, body),
    async close() {
      await t.close();
      await emulators.closeAll();
    },
  };
}
