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

# --- the hot path (issue 9): one script per participant step ---------------------------------
# Each touches the keys of ONE hash tag: the participant's (``p:{pid}...``) or the session's
# (``s:{sid}...``), so every one is valid on Redis Cluster.

#: KEYS: participant record, last send (hash), seen, inbox, inbox id counter, inbox dedupe.
#: ARGV: seq, now (epoch s), ttl, claim (ms, 0 = none), beacon ("0"/"1"), now (ms).
#: Returns {status, record, inbox version, extra}: status "go" (apply seq), "again" (seq is
#: the last one, not answered: apply again, its streams dedupe), "replay" (extra = status,
#: body), "seq" (extra = the expected seq), "busy" (another copy holds the claim), or
#: {"unknown"} when the participant is gone.
SEND_BEGIN = """
local rec = redis.call('GET', KEYS[1])
if not rec then return {'unknown'} end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[3], ARGV[2], 'EX', ttl)
redis.call('EXPIRE', KEYS[1], ttl)
for i = 4, 6 do redis.call('EXPIRE', KEYS[i], ttl) end
local version = redis.call('GET', KEYS[5]) or '0'
local last = redis.call('HMGET', KEYS[2], 'seq', 'status', 'body', 'claim')
local lseq = tonumber(last[1] or '0')
local seq = tonumber(ARGV[1])
local claim = tonumber(ARGV[4])
local now_ms = tonumber(ARGV[6])
if seq == lseq then
  redis.call('EXPIRE', KEYS[2], ttl)
  if last[2] then return {'replay', rec, version, last[2], last[3]} end
  if claim > 0 then
    if last[4] and tonumber(last[4]) > now_ms then return {'busy', rec, version} end
    redis.call('HSET', KEYS[2], 'claim', now_ms + claim)
  end
  return {'again', rec, version}
end
if seq ~= lseq + 1 and not (ARGV[5] == '1' and seq > lseq + 1) then
  return {'seq', rec, version, tostring(lseq + 1)}
end
redis.call('DEL', KEYS[2])
if claim > 0 then
  redis.call('HSET', KEYS[2], 'seq', seq, 'claim', now_ms + claim)
else
  redis.call('HSET', KEYS[2], 'seq', seq)
end
redis.call('EXPIRE', KEYS[2], ttl)
return {'go', rec, version}
"""

#: KEYS: last send (hash). ARGV: seq, status (0: store nothing), body, ttl. Stores the answer
#: of ``seq`` (if it is still the last one) and drops its claim.
SEND_FINISH = """
if redis.call('HGET', KEYS[1], 'seq') ~= ARGV[1] then return 0 end
if ARGV[2] ~= '0' then redis.call('HSET', KEYS[1], 'status', ARGV[2], 'body', ARGV[3]) end
redis.call('HDEL', KEYS[1], 'claim')
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""

#: KEYS: participant record, poll generation, seen, inbox, inbox id counter, inbox dedupe.
#: ARGV: now (epoch s), ttl, inbox cursor, limit, wake channel, release message prefix, the
#: generation of this participant's last poll known to have been answered (0: unknown).
#: Bumps the generation and publishes "<prefix><generation>", which releases older polls of
#: this participant (never this one), unless the poll before this one is known answered. Returns {"ok", record, generation, inbox version,
#: inbox entries after the cursor} or {"unknown"}.
POLL_BEGIN = """
local rec = redis.call('GET', KEYS[1])
if not rec then return {'unknown'} end
local ttl = tonumber(ARGV[2])
local gen = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('SET', KEYS[3], ARGV[1], 'EX', ttl)
redis.call('EXPIRE', KEYS[1], ttl)
for i = 4, 6 do redis.call('EXPIRE', KEYS[i], ttl) end
if gen - 1 ~= tonumber(ARGV[7]) then redis.call('PUBLISH', ARGV[5], ARGV[6] .. gen) end
local version = redis.call('GET', KEYS[5]) or '0'
local entries = {}
if tonumber(ARGV[4]) > 0 then
  entries = redis.call('XRANGE', KEYS[4], (tonumber(ARGV[3]) + 1) .. '-0', '+', 'COUNT', ARGV[4])
end
return {'ok', rec, gen, version, entries}
"""

#: KEYS: session record, stream, its id counter, its dedupe hash, the session's page index,
#: the last snapshot's id (a string).
#: ARGV: ttl, wake channel, wake message, sender, seq, member field, member value,
#: need shared ("0"/"1"), index fields to set (n), index fields to delete (m), position
#: (1-based) among the events of a snapshot whose id is stored at KEYS[6] (0: none), then n
#: field/value pairs, m fields, then the events (JSON).
#: Appends only while the session exists, the sender belongs to it and, for control events,
#: it is in shared mode: the decision the web worker made from its cache is checked here,
#: atomically, against the record itself. Returns {status, mode, presence, ids...} with
#: status "ok", "dup" (this seq was applied), "mode" (not shared) or {"gone"}.
SESSION_APPEND = """
local rec = redis.call('GET', KEYS[1])
if not rec then return {'gone'} end
local s = cjson.decode(rec)
if s[ARGV[6]] ~= ARGV[7] then return {'gone'} end
local mode = s['mode'] or ''
local presence = s['presence']
if type(presence) ~= 'string' then presence = 'here' end
if ARGV[8] == '1' and mode ~= 'shared' then return {'mode', mode, presence} end
local seen = redis.call('HGET', KEYS[4], ARGV[4])
if seen and tonumber(seen) >= tonumber(ARGV[5]) then return {'dup', mode, presence} end
local ttl = tonumber(ARGV[1])
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5])
redis.call('EXPIRE', KEYS[4], ttl)
local n, m = tonumber(ARGV[9]), tonumber(ARGV[10])
local snap = tonumber(ARGV[11])
local at = 12
if n > 0 then
  local kv = {}
  for i = 0, 2 * n - 1 do kv[#kv + 1] = ARGV[at + i] end
  redis.call('HSET', KEYS[5], unpack(kv))
  redis.call('EXPIRE', KEYS[5], ttl)
end
at = at + 2 * n
if m > 0 then
  local fields = {}
  for i = 0, m - 1 do fields[#fields + 1] = ARGV[at + i] end
  redis.call('HDEL', KEYS[5], unpack(fields))
end
at = at + m
local count = #ARGV - at + 1
local out = {'ok', mode, presence}
if count > 0 then
  if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('DEL', KEYS[2]) end
  local last = redis.call('INCRBY', KEYS[3], count)
  for i = 1, count do
    local id = last - count + i
    redis.call('XADD', KEYS[2], id .. '-0', 'e', ARGV[at + i - 1])
    out[#out + 1] = id
  end
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
  if snap > 0 and snap <= count then
    redis.call('SET', KEYS[6], last - count + snap, 'EX', ttl)
  end
  -- Small batches travel with their wake-up ("<stream> US <first id> US <events joined by
  -- RS>", the ASCII unit and record separators: JSON text never holds a raw control
  -- character), so the woken poll answers without reading them back.
  local size = 0
  for i = at, #ARGV do size = size + #ARGV[i] end
  if size <= 8192 then
    local us, rs = string.char(31), string.char(30)
    redis.call('PUBLISH', ARGV[2], ARGV[3] .. us .. (last - count + 1) .. us ..
      table.concat(ARGV, rs, at, #ARGV))
  else
    redis.call('PUBLISH', ARGV[2], ARGV[3])
  end
end
return out
"""

#: KEYS: a page index. ARGV: depth, node ids. The entries of the ids and of their ancestors
#: up to ``depth`` levels (an entry starts with its parent's id), as a flat id/entry list.
INDEX_FETCH = """
local out, seen, wanted = {}, {}, {}
for i = 2, #ARGV do wanted[#wanted + 1] = ARGV[i] end
for level = 0, tonumber(ARGV[1]) do
  local upper = {}
  for _, id in ipairs(wanted) do
    if not seen[id] then
      seen[id] = true
      local entry = redis.call('HGET', KEYS[1], id)
      if entry then
        out[#out + 1] = id
        out[#out + 1] = entry
        local parent = string.match(entry, '^(%d+)|')
        if parent and parent ~= '0' then upper[#upper + 1] = parent end
      end
    end
  end
  if #upper == 0 then break end
  wanted = upper
end
return out
"""
