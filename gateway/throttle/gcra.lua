-- GCRA in one atomic call: the same arithmetic as gateway/throttle/base.py:gcra, on the
-- Redis server's clock so every gateway process shares one notion of "now".
--
-- KEYS[1]  the key holding the theoretical arrival time (TAT), microseconds since the epoch
-- ARGV[1]  emission interval T in microseconds (1e6 / rate, may be fractional)
-- ARGV[2]  burst
-- ARGV[3]  cost (units to spend; 0 peeks)
-- ARGV[4]  slack in microseconds for float rounding (base.EPSILON)
--
-- Returns {allowed (1/0), remaining, retry_after_us, reset_after_us}, integers (Redis truncates
-- Lua numbers in replies, so times are rounded up here). The key expires (PX) when its TAT
-- passes: an expired key and a full bucket are the same state, so idle keys vanish.
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local slack = tonumber(ARGV[4])
local tolerance = burst * interval

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then
  tat = now
end

local function units(room)
  local n = math.floor((room + slack) / interval)
  if n < 0 then return 0 end
  if n > burst then return burst end
  return n
end

local new_tat = tat + cost * interval
local allow_at = new_tat - tolerance
if allow_at > now + slack then
  return {0, units(tolerance - (tat - now)), math.ceil(allow_at - now), math.ceil(tat - now)}
end

local ttl_ms = math.ceil((new_tat - now) / 1000)
if ttl_ms > 0 then
  redis.call('SET', KEYS[1], string.format('%.17g', new_tat), 'PX', ttl_ms)
end
return {1, units(tolerance - (new_tat - now)), 0, math.ceil(new_tat - now)}
