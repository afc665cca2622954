-- debtkit's shared rate budget: the books of debtkit/budget/books.py, run atomically in Redis on
-- the Redis server's clock. See debtkit/budget/redis_books.py.
--
-- KEYS[1]  key prefix for one credential (ends with ':')
-- ARGV     op, open_ttl, skew margin (fraction of each window), foreign headroom, n, then n
--          limits as
--          (name, limit, window, 'sliding' | 'fixed', segment or ''), then the op's own
--          arguments:
--   admit   ticket, limit ids ("1,3")[, count]   -> {"1", now, admitted} | {"0", seconds to wait}
--   finish  ticket, start, counted, limit ids, pause ids, pause seconds, seconds since answered,
--           then per observation: limit id, L, remaining, reset_at, window       -> {}
--   release ticket, start, limit ids (admitted but never sent: as if never admitted) -> {}
--   usage                                  -> per limit: name, limit, window, in_use,
--                                             foreign, paused_for, wait
-- Keys per limit <prefix><name>: ...:open (zset ticket -> sent), ...:closed (sliding: zset
-- "ticket|sent|answered" -> held until), ...:w:<k> (fixed: count in aligned window k), ...:phantoms (zset
-- units -> until), ...:edge ("units|until"), ...:pause (until), ...:rule (hash of the
-- limit/window the server replaced).

local prefix = KEYS[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local op = ARGV[1]
local open_ttl = tonumber(ARGV[2])
local skew = tonumber(ARGV[3])
local headroom = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local rules = {}
local pos = 6
for i = 1, n do
  local r = {name = ARGV[pos], limit = tonumber(ARGV[pos + 1]), window = tonumber(ARGV[pos + 2]),
             kind = ARGV[pos + 3] == 'fixed' and 'f' or 's', segment = tonumber(ARGV[pos + 4])}
  r.key = prefix .. r.name .. ':'
  local over = redis.call('HMGET', r.key .. 'rule', 'limit', 'window')
  if over[1] then r.limit = tonumber(over[1]) end
  if over[2] then r.window = tonumber(over[2]) end
  r.margin = skew * r.window
  rules[i] = r
  pos = pos + 5
end

local function fmt(x) return string.format('%.6f', x) end

-- When the server stops counting a request it received at x: a window later, or, counted in
-- segments, a window after its segment ends (debtkit.plugin.RateLimit.released).
local function released(r, x)
  if not r.segment then return x + r.window end
  return (math.floor(x / r.segment) + 1) * r.segment + r.window
end

-- Until when a sliding slot answered at x is held (_SlidingBook.hold in books.py).
local function hold(r, x)
  if not r.segment then return x + r.window + r.margin end
  return released(r, x + r.margin) + r.margin
end

local function ids(list)
  local out = {}
  for id in string.gmatch(list or '', '[^,]+') do out[#out + 1] = rules[tonumber(id)] end
  return out
end

local function ttl_ms(r) return math.ceil((2 * r.window + open_ttl + 2 * r.margin) * 1000) end

local function touch(r, key) redis.call('PEXPIRE', key, ttl_ms(r)) end

local function index(r, x) return math.floor(x / r.window) end

local function charge(r, first, last)
  for k = first, last do
    local key = r.key .. 'w:' .. k
    redis.call('INCR', key)
    touch(r, key)
  end
end

local function close(r, ticket, start, at)
  if redis.call('ZREM', r.key .. 'open', ticket) == 0 then return end
  if r.kind == 's' then
    redis.call('ZADD', r.key .. 'closed', hold(r, at), ticket .. '|' .. start .. '|' .. fmt(at))
    touch(r, r.key .. 'closed')
  else
    charge(r, index(r, start + r.margin) + 1, index(r, at + r.margin))
  end
end

local function expire(r)
  local stale = redis.call('ZRANGEBYSCORE', r.key .. 'open', '-inf', '(' .. fmt(now - open_ttl),
                           'WITHSCORES')
  for i = 1, #stale, 2 do
    local start = tonumber(stale[i + 1])
    close(r, stale[i], start, start + open_ttl)
  end
  redis.call('ZREMRANGEBYSCORE', r.key .. 'closed', '-inf', fmt(now))
  redis.call('ZREMRANGEBYSCORE', r.key .. 'phantoms', '-inf', fmt(now))
end

-- Foreign units reserved: those seen within a window (kept), and those the latest reading of
-- the window's edge suggests (replaced by the next observation), as in debtkit/budget/books.py.
local function phantom_list(r)
  local raw = redis.call('ZRANGEBYSCORE', r.key .. 'phantoms', '(' .. fmt(now), '+inf', 'WITHSCORES')
  local out = {}
  for i = 1, #raw, 2 do out[#out + 1] = {units = tonumber(raw[i]), untill = tonumber(raw[i + 1])} end
  local edge = redis.call('GET', r.key .. 'edge')
  if edge then
    local units, untill = string.match(edge, '^(%d+)|(.+)$')
    out.edge = {units = tonumber(units), untill = tonumber(untill)}
  end
  return out
end

local function foreign_at(phantoms, x)
  local most = 0
  for _, p in ipairs(phantoms) do
    if p.untill > x and p.units > most then most = p.units end
  end
  if phantoms.edge and phantoms.edge.untill > x then most = most + phantoms.edge.units end
  return most
end

local function reserve(r, units, untill)
  local phantoms = phantom_list(r)
  for _, p in ipairs(phantoms) do
    if p.units >= units and p.untill >= untill then return end
  end
  for _, p in ipairs(phantoms) do
    if p.units <= units and p.untill <= untill then
      redis.call('ZREM', r.key .. 'phantoms', tostring(p.units))
    end
  end
  redis.call('ZADD', r.key .. 'phantoms', untill, tostring(units))
  touch(r, r.key .. 'phantoms')
end

-- Our attempts the server may count in the busiest fixed window an admission at x touches;
-- one still in flight counts in every window after the one it was sent in.
local function fixed_ours_at(r, x)
  local busiest = 0
  for k = index(r, x - r.margin), index(r, x + r.margin) do
    local here = tonumber(redis.call('GET', r.key .. 'w:' .. k) or '0')
    here = here + redis.call('ZCOUNT', r.key .. 'open', '-inf', '(' .. fmt(k * r.window - r.margin))
    if here > busiest then busiest = here end
  end
  return busiest
end

local function sliding_holds(r)
  local holds = {}
  local closed = redis.call('ZRANGE', r.key .. 'closed', 0, -1, 'WITHSCORES')
  for i = 2, #closed, 2 do holds[#holds + 1] = tonumber(closed[i]) end
  local open = redis.call('ZRANGE', r.key .. 'open', 0, -1, 'WITHSCORES')
  for i = 2, #open, 2 do
    holds[#holds + 1] = hold(r, tonumber(open[i]) + open_ttl)
  end
  table.sort(holds)
  return holds
end

local function in_use(r)
  if r.kind == 's' then
    return redis.call('ZCARD', r.key .. 'closed') + redis.call('ZCARD', r.key .. 'open')
  end
  return fixed_ours_at(r, now)
end

-- The earliest time, as things stand, at which one more attempt fits under r (maybe now).
local function free_at_unbanded(r)
  local paused = tonumber(redis.call('GET', r.key .. 'pause') or '0')
  if paused > now then return paused end
  local phantoms = phantom_list(r)
  if in_use(r) + foreign_at(phantoms, now) < r.limit then return now end
  local times, count_at = {}, nil
  if r.kind == 's' then
    local holds = sliding_holds(r)
    for _, h in ipairs(holds) do times[#times + 1] = h end
    count_at = function(x)
      local lo, hi = 1, #holds + 1  -- first hold after x, by bisection
      while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        if holds[mid] <= x then lo = mid + 1 else hi = mid end
      end
      return #holds - lo + 1 + foreign_at(phantoms, x)
    end
  else
    local k = index(r, now + r.margin)
    times[1] = (k + 1) * r.window + r.margin
    times[2] = (k + 2) * r.window + r.margin
    count_at = function(x) return fixed_ours_at(r, x) + foreign_at(phantoms, x) end
  end
  for _, p in ipairs(phantoms) do times[#times + 1] = p.untill end
  if phantoms.edge then times[#times + 1] = phantoms.edge.untill end
  table.sort(times)
  for _, x in ipairs(times) do
    if x >= now and count_at(x) < r.limit then return x end
  end
  return now + open_ttl + r.window  -- waiting on answers not yet reported
end

-- As in debtkit/budget/books.py: within the margin of a fixed boundary an admission would be
-- charged to both windows, so it waits for the band to end and charges the new one alone.
local function free_at(r)
  local ready = free_at_unbanded(r)
  if r.kind == 'f' then
    local last = index(r, now + r.margin)
    if index(r, now - r.margin) ~= last then
      return math.max(ready, last * r.window + r.margin)
    end
  end
  return ready
end

-- `answered`: when the answer arrived, by this clock (the update may land later).
local function observe(r, start, answered, counted, limit, remaining, reset_at, window)
  if limit and limit > 0 and limit ~= r.limit then
    r.limit = limit
    redis.call('HSET', r.key .. 'rule', 'limit', limit)
    touch(r, r.key .. 'rule')
  end
  if window and window > 0 and math.abs(window - r.window) > 1e-9 * r.window then
    r.window = window
    r.margin = skew * window
    redis.call('HSET', r.key .. 'rule', 'window', window)
    touch(r, r.key .. 'rule')
  end
  if not remaining then return end
  local rejected = counted and 0 or 1
  local ours, ours_inside, in_flight, untill
  if r.kind == 's' then
    -- Every answered attempt still held may be held by the server too; the middle of each
    -- span tells which it probably let go of at the window's edge (debtkit/budget/books.py).
    local seen = (start + answered) / 2
    -- Slots held when the answer came, by attempts sent before it (the update may land after
    -- slots were let go and others taken: neither is ours to subtract).
    local closed = redis.call('ZRANGEBYSCORE', r.key .. 'closed', '(' .. fmt(answered), '+inf')
    ours, ours_inside = -rejected, -rejected
    in_flight = redis.call('ZCOUNT', r.key .. 'open', '-inf', fmt(answered))
    for i = 1, #closed do
      -- (a member written before answers were kept counts as gone: the estimate errs high)
      local sent_at, answered_at = string.match(closed[i], '|([^|]+)|([^|]+)$')
      if sent_at and tonumber(sent_at) <= answered then
        ours = ours + 1
        if released(r, (tonumber(sent_at) + tonumber(answered_at)) / 2) > seen then
          ours_inside = ours_inside + 1
        end
      end
    end
    untill = r.segment and released(r, answered + r.margin) or answered + r.window
    if reset_at and reset_at > untill then untill = reset_at end
  else
    local k = index(r, answered)
    in_flight = redis.call('ZCOUNT', r.key .. 'open', fmt(k * r.window - r.margin),
                                 '(' .. fmt((k + 1) * r.window + r.margin))
    ours = tonumber(redis.call('GET', r.key .. 'w:' .. k) or '0') - in_flight - rejected
    ours_inside = ours
    untill = reset_at or (k + 1) * r.window
  end
  untill = untill + r.margin
  local used = r.limit - remaining
  -- Foreign for sure: kept a window; what our attempts in flight may account for, only until
  -- the next observation (as the edge), as in debtkit/budget/books.py.
  local units = math.max(used - ours - in_flight, 0)
  if units > 0 then reserve(r, units + headroom, untill) end
  local edge = math.max(used - ours_inside, 0) - units
  if edge > 0 then
    redis.call('SET', r.key .. 'edge', edge .. '|' .. fmt(untill), 'PX',
               math.ceil((untill - now) * 1000) + 1)
  else
    redis.call('DEL', r.key .. 'edge')
  end
end

if op == 'admit' then
  -- Up to `count` tickets at once (one process's queue), named ticket, ticket:2, ticket:3...
  local ticket, count = ARGV[pos], tonumber(ARGV[pos + 2] or '1')
  local wanted = ids(ARGV[pos + 1])
  for _, r in ipairs(wanted) do expire(r) end
  local given = 0
  while given < count do
    local ready = now
    for _, r in ipairs(wanted) do
      local at = free_at(r)
      if at > ready then ready = at end
    end
    if ready > now then
      if given == 0 then return {'0', fmt(ready - now)} end
      break
    end
    given = given + 1
    local id = given == 1 and ticket or ticket .. ':' .. given
    for _, r in ipairs(wanted) do
      redis.call('ZADD', r.key .. 'open', now, id)
      touch(r, r.key .. 'open')
      if r.kind == 'f' then charge(r, index(r, now - r.margin), index(r, now + r.margin)) end
    end
  end
  return {'1', fmt(now), tostring(given)}
end

if op == 'finish' then
  -- ARGV[pos + 6]: seconds since the answer arrived, as the process measured it
  local ticket, start, counted = ARGV[pos], tonumber(ARGV[pos + 1]), ARGV[pos + 2] == '1'
  local answered = now - math.max(tonumber(ARGV[pos + 6]) or 0, 0)
  if ticket ~= '' then
    for _, r in ipairs(ids(ARGV[pos + 3])) do close(r, ticket, start, answered) end
  end
  local i = pos + 7
  while i + 4 <= #ARGV do
    local r = rules[tonumber(ARGV[i])]
    observe(r, start, answered, counted, tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]),
            tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]))
    expire(r)
    i = i + 5
  end
  local seconds = tonumber(ARGV[pos + 5])
  if seconds then
    for _, r in ipairs(ids(ARGV[pos + 4])) do
      local key = r.key .. 'pause'
      local untill = math.max(now + seconds, tonumber(redis.call('GET', key) or '0'))
      redis.call('SET', key, fmt(untill), 'PX', math.ceil((untill - now) * 1000) + 1)
    end
  end
  return {}
end

if op == 'release' then
  local ticket, start = ARGV[pos], tonumber(ARGV[pos + 1])
  for _, r in ipairs(ids(ARGV[pos + 2])) do
    if redis.call('ZREM', r.key .. 'open', ticket) == 1 and r.kind == 'f' then
      for k = index(r, start - r.margin), index(r, start + r.margin) do
        local key = r.key .. 'w:' .. k
        if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
      end
    end
  end
  return {}
end

if op == 'usage' then
  local out = {}
  for _, r in ipairs(rules) do
    expire(r)
    local paused = tonumber(redis.call('GET', r.key .. 'pause') or '0')
    out[#out + 1] = r.name
    out[#out + 1] = tostring(r.limit)
    out[#out + 1] = fmt(r.window)
    out[#out + 1] = tostring(in_use(r))
    out[#out + 1] = tostring(foreign_at(phantom_list(r), now))
    out[#out + 1] = fmt(math.max(paused - now, 0))
    out[#out + 1] = fmt(free_at(r) - now)
  end
  return out
end

return redis.error_reply('unknown op ' .. tostring(op))
