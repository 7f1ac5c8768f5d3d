import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

type Counter = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Counter) => void;

// One fixed window per key: the first increment starts it (PEXPIRE), later ones only read its TTL.
const INCREMENT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;
const READ = `
local current = redis.call('GET', KEYS[1])
if not current then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(current), ttl}`;

interface CounterCommands {
  fleetvaultRateLimitIncrement(key: string, windowMs: number): Promise<[number, number]>;
  fleetvaultRateLimitRead(key: string): Promise<[number, number]>;
}

/**
 * @fastify/rate-limit's counters in Redis under `<prefix><class>:<key>` (e.g.
 * `fleetvault:rl:address:203.0.113.5`): the limiter's key generators already name the class, so
 * unlike the plugin's own Redis store nothing of the route is added (it appended the route's
 * method and URL, `undefinedundefined-` for limiters made with `createRateLimit`).
 */
export function redisCounterStore(redis: Redis, prefix: string): FastifyRateLimitStoreCtor {
  const commands = redis as unknown as Redis & Partial<CounterCommands>;
  if (commands.fleetvaultRateLimitIncrement === undefined) {
    redis.defineCommand('fleetvaultRateLimitIncrement', { numberOfKeys: 1, lua: INCREMENT });
    redis.defineCommand('fleetvaultRateLimitRead', { numberOfKeys: 1, lua: READ });
  }
  const counters = commands as Redis & CounterCommands;
  const reply = (promise: Promise<[number, number]>, callback: Callback) =>
    promise.then(
      ([current, ttl]) => callback(null, { current, ttl }),
      (error: Error) => callback(error),
    );
  class RedisCounterStore implements FastifyRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number) {
      void reply(counters.fleetvaultRateLimitIncrement(prefix + key, timeWindow), callback);
    }
    /** The plugin's `{ increment: false }`: the counter without counting this request. */
    read(key: string, callback: Callback) {
      void reply(counters.fleetvaultRateLimitRead(prefix + key), callback);
    }
    child() {
      return this;
    }
  }
  return RedisCounterStore;
}
