"""Lua scripts of the Redis broker: each one is a single atomic step on the server.

Redis runs a script without interleaving other commands, and (since 7.0) with the clock
frozen at its start, so keys given the same TTL inside one script expire at the same
millisecond: a stream, its id counter and its dedupe record live and die together.
Every script touches only keys derived from one caller key, so they share its hash tag
and the script stays valid on Redis Cluster.
"""

#: KEYS: stream, id counter, dedupe hash.
#: ARGV: ttl, wake channel, wake message, sender ("" = no dedupe), seq, event JSON...
#: Returns the new ids, or false (nil in Python) if (sender, seq) was already applied.
APPEND = """
local ttl = tonumber(ARGV[1])
if ARGV[4] ~= '' then
  local seen = redis.call('HGET', KEYS[3], ARGV[4])
  if seen and tonumber(seen) >= tonumber(ARGV[5]) then
    return false
  end
  redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
end
local n = #ARGV - 5
local ids = {}
if n > 0 then
  -- A stream whose counter is gone has expired with it (same TTL, see above); start over
  -- rather than fail on XADD with an id lower than the stream's top.
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('DEL', KEYS[1])
  end
  local last = redis.call('INCRBY', KEYS[2], n)
  for i = 1, n do
    local id = last - n + i
    redis.call('XADD', KEYS[1], id .. '-0', 'e', ARGV[5 + i])
    ids[i] = id
  end
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('EXPIRE', KEYS[3], ttl)
if n > 0 then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return ids
"""

#: KEYS: key. ARGV: has_expected ("0"/"1"), expected, has_new ("0"/"1"), new, ttl (0 = none).
#: Returns 1 if swapped, else 0.
CAS = """
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
elseif tonumber(ARGV[5]) > 0 then
  redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[5])
else
  redis.call('SET', KEYS[1], ARGV[4])
end
return 1
"""

#: KEYS: key and its derived keys. ARGV: ttl. Same expiry instant for all of them.
EXPIRE_GROUP = """
for i = 1, #KEYS do
  redis.call('EXPIRE', KEYS[i], ARGV[1])
end
return 0
"""
