// The fleet's state in Redis and the Lua scripts that change it. Each script runs atomically on the Redis server,
// so a check and the claim it allows can never interleave with another node's: the fleet-wide and per-token caps
// hold under any burst. Counts are the sizes of sets and hashes Redis maintains (HLEN, SCARD), not counters that
// could drift from the calls they count. One Redis (or a primary), not Redis Cluster: the scripts touch keys they
// compute, which Cluster forbids.
//
//   voxgate:nodes              SET   node ids that have joined
//   voxgate:node:<id>          STR   the node's lease (JSON: url, joinedAtMs), expires PX leaseMs after its last heartbeat
//   voxgate:node:<id>:calls    SET   call ids the node holds
//   voxgate:calls              HASH  call id → JSON {node, startedAtMs, transport, token?}: the registry (no transcripts)
//   voxgate:token:<key>        SET   call ids held under one token subject
//   voxgate:control            pub/sub channel for control messages (control.ts)

export const KEY_PREFIX = 'voxgate:';
export const CONTROL_CHANNEL = `${KEY_PREFIX}control`;
export const NODES_KEY = `${KEY_PREFIX}nodes`;
export const CALLS_KEY = `${KEY_PREFIX}calls`;
export const leaseKey = (node: string): string => `${KEY_PREFIX}node:${node}`;

/** Helpers shared by every script: dropping a call, and freeing the calls of nodes whose lease has expired. */
const COMMON = `
local p = '${KEY_PREFIX}'
local function drop_call(c)
  local raw = redis.call('HGET', p .. 'calls', c)
  if raw then
    local rec = cjson.decode(raw)
    if rec.token then redis.call('SREM', p .. 'token:' .. rec.token, c) end
    redis.call('SREM', p .. 'node:' .. rec.node .. ':calls', c)
    redis.call('HDEL', p .. 'calls', c)
  end
end
local function add_call(c, raw)
  local rec = cjson.decode(raw)
  redis.call('HSET', p .. 'calls', c, raw)
  redis.call('SADD', p .. 'node:' .. rec.node .. ':calls', c)
  if rec.token then redis.call('SADD', p .. 'token:' .. rec.token, c) end
end
local function reap()
  local freed = 0
  for _, n in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
    if redis.call('EXISTS', p .. 'node:' .. n) == 0 then
      for _, c in ipairs(redis.call('SMEMBERS', p .. 'node:' .. n .. ':calls')) do
        drop_call(c)
        freed = freed + 1
      end
      redis.call('DEL', p .. 'node:' .. n .. ':calls')
      redis.call('SREM', p .. 'nodes', n)
    end
  end
  return freed
end
`;

/**
 * Claim a call slot. ARGV: node, callId, record JSON, fleet cap (0: none), token key ('' none), token cap (0: none).
 * Returns {1, calls} admitted, {0, 'fleet'|'token', cap} refused, or {-1, 'lease'} when this node's own lease has
 * lapsed (its calls are no longer counted: the caller falls back to local caps until the next heartbeat re-joins).
 */
export const CLAIM_SCRIPT = `${COMMON}
reap()
local node, c, raw = ARGV[1], ARGV[2], ARGV[3]
local fleet_cap, token, token_cap = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
if redis.call('EXISTS', p .. 'node:' .. node) == 0 then return {-1, 'lease'} end
if redis.call('HEXISTS', p .. 'calls', c) == 1 then return {1, redis.call('HLEN', p .. 'calls')} end
if fleet_cap > 0 and redis.call('HLEN', p .. 'calls') >= fleet_cap then return {0, 'fleet', fleet_cap} end
if token ~= '' and token_cap > 0 and redis.call('SCARD', p .. 'token:' .. token) >= token_cap then return {0, 'token', token_cap} end
add_call(c, raw)
return {1, redis.call('HLEN', p .. 'calls')}
`;

/** Free one call. ARGV: callId. */
export const RELEASE_SCRIPT = `${COMMON}
drop_call(ARGV[1])
return 1
`;

/**
 * A node's heartbeat: renew its lease, make the registry hold exactly the calls the node holds (the node is the
 * one owner of its calls: a claim that timed out, or calls admitted on local caps while Redis was away, are
 * reconciled here), then free the calls of dead nodes. ARGV: node, leaseMs, lease JSON, then call id / record
 * JSON pairs; an empty record marks a claim still in flight: kept if Redis has it, neither added nor dropped (the
 * claim may have landed just before this script). Returns {fleet calls, freed by this reap}.
 */
export const HEARTBEAT_SCRIPT = `${COMMON}
local node, lease_ms, lease = ARGV[1], tonumber(ARGV[2]), ARGV[3]
redis.call('SET', p .. 'node:' .. node, lease, 'PX', lease_ms)
redis.call('SADD', p .. 'nodes', node)
local held = {}
for i = 4, #ARGV, 2 do held[ARGV[i]] = ARGV[i + 1] end
for _, c in ipairs(redis.call('SMEMBERS', p .. 'node:' .. node .. ':calls')) do
  if held[c] == nil then drop_call(c) end
end
for c, raw in pairs(held) do
  if raw ~= '' and redis.call('HEXISTS', p .. 'calls', c) == 0 then add_call(c, raw) end
end
local freed = reap()
return {redis.call('HLEN', p .. 'calls'), freed}
`;

/** A node leaves (drained): its calls and lease go at once, not after the lease. ARGV: node. */
export const LEAVE_SCRIPT = `${COMMON}
for _, c in ipairs(redis.call('SMEMBERS', p .. 'node:' .. ARGV[1] .. ':calls')) do drop_call(c) end
redis.call('DEL', p .. 'node:' .. ARGV[1], p .. 'node:' .. ARGV[1] .. ':calls')
redis.call('SREM', p .. 'nodes', ARGV[1])
return 1
`;

/** Free dead nodes' calls without being a node (voxgate fleet reads a current view). */
export const REAP_SCRIPT = `${COMMON}
return reap()
`;
