-- GCRA with reservations, as restrait's in-process limiter (core/src/rate_limit/gcra.rs) does
-- it, on the Redis server's clock, in microseconds (a Lua number holds them exactly).
--
-- KEYS[1]: the theoretical arrival time (TAT) of the next request, in microseconds since the
--          Unix epoch; absent means "long ago" (a full burst is free).
-- ARGV[1]: "r" to reserve a slot, "p" to pause.
-- ARGV[2]: reserve: the interval between requests; pause: its length (microseconds).
-- ARGV[3]: reserve: the burst (at least 1).
-- ARGV[4]: reserve: the longest wait the caller accepts (microseconds).
-- ARGV[5]: the time to decide at (microseconds since the epoch), or "" for the server's TIME.
--
-- Reserve returns {1, wait} with the slot reserved, or {0, wait} with nothing reserved when the
-- wait would be longer than ARGV[4]. Pause returns {1, 0}. Every write sets the key to expire
-- once the TAT is past, when it no longer says anything a missing key does not.

local now
if ARGV[5] ~= '' then
  now = tonumber(ARGV[5])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0

local function store(value)
  local ttl_ms = math.floor((value - now) / 1000) + 1
  redis.call('SET', KEYS[1], string.format('%.0f', value), 'PX', ttl_ms)
end

if ARGV[1] == 'p' then
  local untl = now + tonumber(ARGV[2])
  if untl > tat then
    store(untl)
  end
  return {1, 0}
end

local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local max_wait = tonumber(ARGV[4])

-- No quota: only a pause holds callers, and nothing is reserved.
if interval == 0 then
  local wait = math.max(tat - now, 0)
  if wait > max_wait then
    return {0, wait}
  end
  return {1, wait}
end

local tolerance = interval * (burst - 1)
local start = math.max(tat, now)
local wait = math.max(start - tolerance - now, 0)
if wait > max_wait then
  return {0, wait}
end
store(start + interval)
return {1, wait}
