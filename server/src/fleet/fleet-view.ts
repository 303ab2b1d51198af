// What the fleet holds now, read from Redis: nodes with their lease and call count, and the live calls (node,
// start, transport; no transcripts, no token subjects). Dead nodes' calls are freed first, so the view is current.
import type { createClient } from 'redis';
import { CALLS_KEY, leaseKey, NODES_KEY, REAP_SCRIPT } from './scripts.ts';

type Redis = ReturnType<typeof createClient>;

export interface FleetNodeView {
  id: string;
  url: string | undefined;
  joinedAtMs: number | undefined;
  /** Time left on its lease. */
  leaseLeftMs: number;
  calls: number;
}

export interface FleetCallView {
  callId: string;
  node: string;
  startedAtMs: number;
  transport: string;
}

export interface FleetView {
  nodes: FleetNodeView[];
  calls: FleetCallView[];
}

export async function readFleet(redis: Redis): Promise<FleetView> {
  await redis.eval(REAP_SCRIPT, { arguments: [] });
  const ids = (await redis.sMembers(NODES_KEY)).sort();
  const rawCalls = await redis.hGetAll(CALLS_KEY);
  const calls: FleetCallView[] = Object.entries(rawCalls)
    .map(([callId, raw]) => {
      const rec = JSON.parse(raw) as { node: string; startedAtMs: number; transport: string };
      return { callId, node: rec.node, startedAtMs: rec.startedAtMs, transport: rec.transport };
    })
    .sort((a, b) => a.startedAtMs - b.startedAtMs);
  const nodes: FleetNodeView[] = [];
  for (const id of ids) {
    const [lease, ttlMs] = await Promise.all([redis.get(leaseKey(id)), redis.pTTL(leaseKey(id))]);
    const info = lease === null ? {} : (JSON.parse(lease) as { url?: string; joinedAtMs?: number });
    nodes.push({ id, url: info.url, joinedAtMs: info.joinedAtMs, leaseLeftMs: Math.max(0, Number(ttlMs)), calls: calls.filter((c) => c.node === id).length });
  }
  return { nodes, calls };
}
