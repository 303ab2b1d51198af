// Cluster mode against a real redis-server (Debian's, started here on 127.0.0.1): the fleet-wide and per-token
// caps hold under a burst of claims from three nodes, a node that dies has its calls freed when its lease expires,
// Redis going away means local caps (and back to fleet caps, with the registry reconciled, when it returns), and
// the control channel ends a call on whichever node holds it. The gateway here runs on the fake engine (named so):
// the fleet is the subject; the real model behind nginx is bench/fleet.ts (test/e2e/fleet-bench.test.ts).
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createClient } from 'redis';
import WebSocket from 'ws';
import { connect } from '../../client-sdk/src/node/index.ts';
import { makeConfig } from '../../server/src/config.ts';
import { subscribeControl } from '../../server/src/fleet/control.ts';
import { FleetNode } from '../../server/src/fleet/fleet-node.ts';
import { readFleet } from '../../server/src/fleet/fleet-view.ts';
import { CALLS_KEY } from '../../server/src/fleet/scripts.ts';
import { silentLogger } from '../../server/src/gateway/log.ts';
import { startServer, type RunningServer } from '../../server/src/http/server.ts';
import { hasRedisServer, startRedis, type RedisChild } from '../../server/src/loadtest/fleet/redis-child.ts';
import { freePort, waitFor } from '../../server/src/loadtest/fleet/processes.ts';
import { voxgate } from '../helpers/cli.ts';
import { describeIf } from '../helpers/requires.ts';
import { FakeEngine } from '../helpers/fake-engine.ts';

const LEASE_MS = 900;

describeIf(hasRedisServer(), 'redis-server (Debian package redis-server)')('fleet on a real Redis', () => {
  let redis: RedisChild;
  let admin: ReturnType<typeof createClient>;
  const nodes: FleetNode[] = [];
  const servers: RunningServer[] = [];

  const node = (id: string, fleetMaxCalls = 0): FleetNode => {
    const n = new FleetNode({ redisUrl: redis.url, nodeId: id, fleetMaxCalls, leaseMs: LEASE_MS, log: silentLogger });
    nodes.push(n);
    return n;
  };
  const up = (n: FleetNode) => waitFor(() => n.redisState === 'up' && n.fleetCalls !== undefined, 5_000, `${n.nodeId} did not join`);

  beforeAll(async () => {
    redis = await startRedis();
    admin = createClient({ url: redis.url });
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close(100)));
    await Promise.all(nodes.splice(0).map((n) => n.leave()));
    if (admin.isReady) await admin.flushAll();
  });
  afterAll(async () => {
    await admin.close().catch(() => {});
    await redis.stop();
  });

  it('holds the fleet-wide cap under a burst of claims from three nodes: no overshoot', async () => {
    const fleet = [node('a', 5), node('b', 5), node('c', 5)];
    await Promise.all(fleet.map(up));
    const verdicts = await Promise.all(
      Array.from({ length: 60 }, (_, i) => fleet[i % 3]!.claim({ callId: `call-${i}`, transport: 'voxgate', tokenCap: 0 })),
    );
    expect(verdicts.filter((v) => v.ok).length).toBe(5);
    expect(verdicts.filter((v) => v.ok && v.mode === 'local').length).toBe(0);
    const refusal = verdicts.find((v) => !v.ok);
    expect(refusal).toMatchObject({ ok: false, message: 'all 5 calls of the fleet are in use' });
    expect(await admin.hLen(CALLS_KEY)).toBe(5);
    // A released slot is claimable again at once.
    const holder = fleet.find((n) => n.heldCalls > 0)!;
    const held = (await readFleet(admin)).calls.find((c) => c.node === holder.nodeId)!;
    holder.release(held.callId);
    await waitFor(async () => (await admin.hLen(CALLS_KEY)) === 4, 2_000, 'release did not reach redis');
    expect(await fleet[0]!.claim({ callId: 'late', transport: 'voxgate', tokenCap: 0 })).toEqual({ ok: true, mode: 'fleet' });
  });

  it('holds the cap while heartbeats run between claims and their answers (rounds of bursts, 100 ms heartbeats)', async () => {
    const fast = (id: string) => {
      const n = new FleetNode({ redisUrl: redis.url, nodeId: id, fleetMaxCalls: 6, leaseMs: 300, log: silentLogger });
      nodes.push(n);
      return n;
    };
    const fleet = [fast('f0'), fast('f1'), fast('f2')];
    await Promise.all(fleet.map(up));
    let peak = 0;
    for (let round = 0; round < 12; round++) {
      const ids = Array.from({ length: 30 }, (_, i) => `r${round}-${i}`);
      const claims = ids.map((id, i) => fleet[i % 3]!.claim({ callId: id, transport: 'voxgate', tokenCap: 0 }));
      // A busy event loop, as on a loaded node: the heartbeat timer is due and fires before the claims' answers
      // are read, so it is sent while they are in flight.
      const until = performance.now() + 150;
      while (performance.now() < until);
      const verdicts = await Promise.all(claims);
      const admitted = ids.filter((_, i) => verdicts[i]!.ok);
      // Let heartbeats run with the calls held: the registry must still count every one of them.
      await new Promise((r) => setTimeout(r, 120));
      peak = Math.max(peak, admitted.length);
      expect(Number(await admin.hLen(CALLS_KEY))).toBe(admitted.length);
      admitted.forEach((id) => fleet[ids.indexOf(id) % 3]!.release(id));
      await waitFor(async () => Number(await admin.hLen(CALLS_KEY)) === 0, 2_000, 'releases did not land');
    }
    expect(peak).toBe(6);
  });

  it('a node whose lease was lost (Redis restarted empty) re-joins on its next claim instead of admitting locally', async () => {
    const n = node('rejoin');
    await up(n);
    await n.claim({ callId: 'r-1', transport: 'voxgate', tokenCap: 0 });
    await admin.flushAll();
    expect(await n.claim({ callId: 'r-2', transport: 'voxgate', tokenCap: 0 })).toEqual({ ok: true, mode: 'fleet' });
    // Re-joining registered what it already held too.
    expect(Object.keys(await admin.hGetAll(CALLS_KEY)).sort()).toEqual(['r-1', 'r-2']);
  });

  it('holds a per-token cap across nodes', async () => {
    const [a, b] = [node('a'), node('b')];
    await Promise.all([up(a), up(b)]);
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).claim({ callId: `t-${i}`, transport: 'voxgate', tokenKey: 'sub:alice', tokenCap: 2 })),
    );
    expect(claims.filter((v) => v.ok).length).toBe(2);
    expect(claims.find((v) => !v.ok)).toMatchObject({ message: 'this token holds 2 calls across the fleet, the most it may' });
    expect(await a.claim({ callId: 'bob-1', transport: 'voxgate', tokenKey: 'sub:bob', tokenCap: 2 })).toMatchObject({ ok: true });
  });

  it("frees a dead node's calls when its lease expires, and lists what is live", async () => {
    const [alive, doomed] = [node('alive'), node('doomed')];
    await Promise.all([up(alive), up(doomed)]);
    for (let i = 0; i < 3; i++) await doomed.claim({ callId: `d-${i}`, transport: 'realtime', tokenCap: 0 });
    await alive.claim({ callId: 'a-0', transport: 'voxgate', tokenCap: 0 });
    const before = await readFleet(admin);
    expect(before.nodes.map((n) => [n.id, n.calls])).toEqual([['alive', 1], ['doomed', 3]]);
    expect(before.calls.find((c) => c.callId === 'd-0')).toMatchObject({ node: 'doomed', transport: 'realtime' });
    // As a kill -9 looks from Redis: the connection drops, no goodbye, the heartbeat stops.
    const t0 = performance.now();
    doomed.redis.destroy();
    await waitFor(async () => (await admin.hLen(CALLS_KEY)) === 1, 5_000, 'the dead node\'s calls were not freed');
    const freedMs = performance.now() - t0;
    // Bound: the lease, plus one heartbeat of the survivor (a third of the lease), plus scheduling slack.
    expect(freedMs).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 500);
    expect((await readFleet(admin)).nodes.map((n) => n.id)).toEqual(['alive']);
  });

  it('admits on local caps while Redis is away, says so, and reconciles the registry when it returns', async () => {
    const n = node('solo', 2);
    await up(n);
    expect(await n.claim({ callId: 'before', transport: 'voxgate', tokenCap: 0 })).toEqual({ ok: true, mode: 'fleet' });
    const port = redis.port;
    await admin.close();
    await redis.stop();
    await waitFor(() => n.redisState === 'down', 3_000, 'redis down not noticed');
    const t0 = performance.now();
    // The fleet cap (2) cannot be checked: local caps decide, at once.
    const during = await Promise.all(['x', 'y'].map((id) => n.claim({ callId: id, transport: 'voxgate', tokenCap: 0 })));
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(during).toEqual([{ ok: true, mode: 'local' }, { ok: true, mode: 'local' }]);
    n.release('x');
    redis = await startRedis(port);
    admin = createClient({ url: redis.url });
    await admin.connect();
    // Back: the node's heartbeat re-joins and registers exactly what it holds (before, y), though Redis lost all.
    await waitFor(async () => n.redisState === 'up' && (await admin.hLen(CALLS_KEY)) === 2, 6_000, 'registry not reconciled');
    expect(Object.keys(await admin.hGetAll(CALLS_KEY)).sort()).toEqual(['before', 'y']);
    expect(await n.claim({ callId: 'z', transport: 'voxgate', tokenCap: 0 })).toMatchObject({ ok: false });
  });

  it('a node started while Redis is down admits locally, then joins when Redis comes up', async () => {
    const port = await freePort();
    const n = new FleetNode({ redisUrl: `redis://127.0.0.1:${port}`, nodeId: 'early', fleetMaxCalls: 0, leaseMs: LEASE_MS, log: silentLogger });
    nodes.push(n);
    expect(await n.claim({ callId: 'e-1', transport: 'voxgate', tokenCap: 0 })).toEqual({ ok: true, mode: 'local' });
    const late = await startRedis(port);
    const lateAdmin = createClient({ url: late.url });
    try {
      await lateAdmin.connect();
      await waitFor(async () => n.redisState === 'up' && (await lateAdmin.hLen(CALLS_KEY)) === 1, 8_000, 'the node never joined');
      expect(await n.claim({ callId: 'e-2', transport: 'voxgate', tokenCap: 0 })).toEqual({ ok: true, mode: 'fleet' });
    } finally {
      await n.leave();
      await lateAdmin.close();
      await late.stop();
    }
  });

  it('voxgate fleet lists nodes and calls, and says when no node holds a call to end', async () => {
    const n = node('cli-node');
    await up(n);
    await n.claim({ callId: 'cli-call', transport: 'twilio', tokenCap: 0 });
    const list = await voxgate(['fleet', '--redis', redis.url, '--json']);
    expect(list.code).toBe(0);
    const view = JSON.parse(list.stdout) as { nodes: { id: string; calls: number }[]; calls: { callId: string; transport: string }[] };
    expect(view.nodes).toMatchObject([{ id: 'cli-node', calls: 1 }]);
    expect(view.calls).toMatchObject([{ callId: 'cli-call', transport: 'twilio' }]);
    // Nobody subscribes to control here: the command says so and fails.
    const end = await voxgate(['fleet', 'end', 'cli-call', '--redis', redis.url]);
    expect(end).toMatchObject({ code: 1 });
    expect(end.stdout).toContain('sent to 0 listening node(s)');
    const down = await voxgate(['fleet', '--redis', 'redis://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach redis');
  });

  it('in a gateway: readiness says full, a full node refuses before the upgrade, control ends a call, the registry follows', async () => {
    const fleet = node('gw');
    await up(fleet);
    const server = await startServer({
      config: makeConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', maxSessions: 1 }),
      engine: new FakeEngine({ modelName: 'fake-engine' }),
      fleet,
    });
    servers.push(server);
    const stop = subscribeControl(fleet.redis, silentLogger, (msg) => server.gateway.endCall(msg.callId, msg.drain));
    try {
      await server.gateway.ready;
      const ready = await fetch(`${server.httpUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', fleet: { node: 'gw', redis: 'up', admission: 'fleet' } });
      const client = await connect({ url: server.voiceUrl, mode: 'text-to-text' });
      const view = await readFleet(admin);
      expect(view.calls).toHaveLength(1);
      expect(view.calls[0]).toMatchObject({ node: 'gw', transport: 'voxgate' });
      const full = await fetch(`${server.httpUrl}/readyz`);
      expect(full.status).toBe(503);
      expect(await full.json()).toMatchObject({ status: 'full', sessions: 1, maxSessions: 1 });
      // The upgrade itself is refused with 503 (a balancer passes the caller on), code in the body.
      const refused = await upgradeRefusal(server.voiceUrl);
      expect(refused).toMatchObject({ status: 503, body: { code: 'SERVER_FULL' } });
      // The SDK reads the code from that body: full, with retry advice (not a draining node).
      await expect(connect({ url: server.voiceUrl, mode: 'text-to-text' })).rejects.toMatchObject({ code: 'SERVER_FULL', retryAfterMs: expect.any(Number) });
      // Ended from another node (as a WebRTC hang-up the balancer sent elsewhere is): the control channel.
      const other = node('other');
      await up(other);
      expect(await other.endElsewhere('no-such-call')).toBe(false);
      await waitFor(() => other.endElsewhere(view.calls[0]!.callId), 3_000, 'no node ended the call');
      const closed = await client.closed;
      expect(closed.code).toBe(1000);
      await waitFor(async () => (await admin.hLen(CALLS_KEY)) === 0, 2_000, 'ended call still registered');
    } finally {
      await stop();
    }
  });
});

/** The HTTP answer to a WebSocket upgrade that is refused (undefined if it was accepted). */
function upgradeRefusal(url: string): Promise<{ status: number; body: unknown } | undefined> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.terminate();
      resolve(undefined);
    });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    ws.on('error', reject);
  });
}
