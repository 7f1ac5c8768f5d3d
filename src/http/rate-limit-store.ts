import type { Redis } from 'ioredis';
import type { CounterCallback, CounterStore } from './rate-counters.js';

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
 * The rate limits' counters in Redis under `<prefix><class>:<key>` (e.g. `fleetvault:rl:address:203.0.113.5`):
 * every key names its limit's class, so replicas sharing the Redis share each limit. One script per count (INCR,
 * then the window's TTL), so a window is never left without its expiry.
 */
export function redisCounterStore(redis: Redis, prefix: string): CounterStore {
  const commands = redis as unknown as Redis & Partial<CounterCommands>;
  if (commands.fleetvaultRateLimitIncrement === undefined) {
    redis.defineCommand('fleetvaultRateLimitIncrement', { numberOfKeys: 1, lua: INCREMENT });
    redis.defineCommand('fleetvaultRateLimitRead', { numberOfKeys: 1, lua: READ });
  }
  const counters = commands as Redis & CounterCommands;
  const reply = (promise: Promise<[number, number]>, callback: CounterCallback) =>
    promise.then(
      ([current, ttl]) => callback(null, { current, ttl }),
      (error: Error) => callback(error),
    );
  return {
    incr(key, callback, windowMs) {
      void reply(counters.fleetvaultRateLimitIncrement(prefix + key, windowMs), callback);
    },
    read(key, callback) {
      void reply(counters.fleetvaultRateLimitRead(prefix + key), callback);
    },
  };
}
