-- verifykit GCRA on Redis: one atomic step for one key.
--
-- Times are (seconds, nanoseconds) pairs so that Lua's doubles hold them
-- exactly; the arithmetic is the nanosecond arithmetic of
-- ratelimit.Memory. The caller's clock is passed in; Redis's is not read.
--
-- KEYS[1]  the bucket: hash {s, n} = the theoretical arrival time (TAT)
-- ARGV     now_s now_n interval_s interval_n burst_s burst_n
--          (burst = interval * requests <= window)
-- returns  {allowed, tat_s, tat_n}: allowed 1 with the new TAT, or 0 with
--          max(stored TAT, now), the state left unchanged
local G = 1000000000

local function norm(s, n)
  local c = math.floor(n / G)
  return s + c, n - c * G
end

local function less(as, an, bs, bn)
  return as < bs or (as == bs and an < bn)
end

local now_s, now_n = tonumber(ARGV[1]), tonumber(ARGV[2])
local int_s, int_n = tonumber(ARGV[3]), tonumber(ARGV[4])
local burst_s, burst_n = tonumber(ARGV[5]), tonumber(ARGV[6])

local tat_s, tat_n = now_s, now_n
local stored = redis.call('HMGET', KEYS[1], 's', 'n')
if stored[1] and stored[2] then
  local ss, sn = tonumber(stored[1]), tonumber(stored[2])
  if ss and sn and less(now_s, now_n, ss, sn) then
    tat_s, tat_n = ss, sn
  end
end

local next_s, next_n = norm(tat_s + int_s, tat_n + int_n)
local d_s, d_n = norm(next_s - now_s, next_n - now_n)
if less(burst_s, burst_n, d_s, d_n) then
  return {0, tat_s, tat_n}
end

redis.call('HSET', KEYS[1], 's', string.format('%.0f', next_s), 'n', string.format('%.0f', next_n))
-- Forget the key once its TAT has passed (an idle key is a fresh key),
-- with a second of slack for clock-rate differences.
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', d_s * 1000 + math.floor(d_n / 1000000) + 1001))
return {1, next_s, next_n}
