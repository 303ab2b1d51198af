// Many callers at once through the balancer, each starting a session and holding it: how many the fleet admits,
// against its cap, while the registry and the slots every node holds are sampled. Overshoot is the most calls
// held at once above the cap: the admitted sessions (all held together) and the registry's peak. Nodes' own slot
// counts are reported beside it but are not calls: a node takes its local slot before it claims the fleet's,
// and gives it back when the fleet refuses.
import { connect, type VoiceClient } from '../../../../client-sdk/src/node/index.ts';
import type { RunningFleet } from './fleet-run.ts';

export interface BurstFigures {
  clients: number;
  admitted: number;
  refused: Record<string, number>;
  fleetCap: number;
  /** Local slots held at once, summed over nodes (claims in flight included). */
  maxLocalSlotsSeen: number;
  maxRegistrySeen: number;
  overshoot: number;
  /** Claims nodes admitted on their own caps (Redis away or too slow to answer): each can overshoot the cap. */
  localClaims: number;
  ms: number;
}

async function localClaims(fleet: RunningFleet): Promise<number> {
  let n = 0;
  for (const node of fleet.nodes) {
    if (node.process.exitCode !== null || node.process.signalCode !== null) continue;
    const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
    n += Number(/^voxgate_fleet_claims\{result="local"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  }
  return n;
}

async function nodeSessions(fleet: RunningFleet): Promise<number> {
  const counts = await Promise.all(
    fleet.nodes.map(async (n) => {
      if (n.process.exitCode !== null || n.process.signalCode !== null) return 0;
      const m = (await (await fetch(`${n.httpUrl}/metrics.json`)).json()) as { sessions: number };
      return m.sessions;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

export async function burst(fleet: RunningFleet, clients: number, fleetCap: number, holdMs: number): Promise<BurstFigures> {
  let sampling = true;
  let maxSessionsSeen = 0;
  let maxRegistrySeen = 0;
  const sampler = (async () => {
    while (sampling) {
      const [s, r] = await Promise.all([nodeSessions(fleet), fleet.admin.hLen('voxgate:calls')]);
      maxSessionsSeen = Math.max(maxSessionsSeen, s);
      maxRegistrySeen = Math.max(maxRegistrySeen, Number(r));
      await new Promise((res) => setTimeout(res, 10));
    }
  })();
  const localBefore = await localClaims(fleet);
  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: clients }, () => connect({ url: fleet.voiceUrl, mode: 'text-to-text' })));
  const ms = Math.round(performance.now() - t0);
  await new Promise((r) => setTimeout(r, holdMs));
  sampling = false;
  await sampler;
  const admitted = results.filter((r): r is PromiseFulfilledResult<VoiceClient> => r.status === 'fulfilled').map((r) => r.value);
  const refused: Record<string, number> = {};
  for (const r of results) {
    if (r.status === 'fulfilled') continue;
    const code = (r.reason as { code?: string }).code ?? 'error';
    refused[code] = (refused[code] ?? 0) + 1;
  }
  await Promise.all(admitted.map((c) => c.end().catch(() => {})));
  return {
    clients,
    admitted: admitted.length,
    refused,
    fleetCap,
    maxLocalSlotsSeen: maxSessionsSeen,
    maxRegistrySeen,
    overshoot: Math.max(0, maxRegistrySeen - fleetCap, admitted.length - fleetCap),
    localClaims: (await localClaims(fleet)) - localBefore,
    ms,
  };
}

/** Sessions opened one after another until the first refusal: the slots a URL offers. */
export async function slotsAt(url: string, limit: number): Promise<number> {
  const held: VoiceClient[] = [];
  try {
    while (held.length < limit) {
      const c = await connect({ url, mode: 'text-to-text' }).catch(() => undefined);
      if (c === undefined) break;
      held.push(c);
    }
    return held.length;
  } finally {
    await Promise.all(held.map((c) => c.end().catch(() => {})));
  }
}
