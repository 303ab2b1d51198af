// Fleet figures, from one command, with real processes on one machine (127.0.0.1 only, bounded in count and
// time): redis-server, three `voxgate serve --redis` nodes on the real model, nginx in front (deploy/nginx).
// Last stdout line: one JSON object.
//   1. slots: sessions one node admits, and the fleet through nginx (its cap binds); in the full run, the same
//      callers at one node and at the fleet (turns answered, calls refused, time to first audio);
//   2. a burst of callers at once through nginx: the fleet-wide cap holds (overshoot 0); one WebRTC call through
//      nginx (offer balanced, media direct), hung up at another node than its own;
//   3. the load tester's callers talking through nginx while one node is killed (kill -9) mid-call and another is
//      drained (SIGTERM) mid-answer: lost turns only on the killed node, its lease expiry, the drain's answers
//      finished and its time, new calls on the survivors.
//   npm run bench:fleet [-- --quick] [--model DIR]
import { parseArgs } from 'node:util';
import { readFleet } from '../server/src/fleet/fleet-view.ts';
import { burst, slotsAt } from '../server/src/loadtest/fleet/burst.ts';
import { capacityAt, fleetLoadPlan } from '../server/src/loadtest/fleet/capacity-compare.ts';
import { startFleet, type RunningFleet } from '../server/src/loadtest/fleet/fleet-run.ts';
import { waitFor } from '../server/src/loadtest/fleet/processes.ts';
import { SessionTallies, type SessionTally } from '../server/src/loadtest/fleet/session-tally.ts';
import { webrtcThroughNginx } from '../server/src/loadtest/fleet/webrtc-phase.ts';
import { runLoad } from '../server/src/loadtest/run.ts';
import { makeConnector } from '../server/src/loadtest/transports.ts';
import { DEFAULT_UTTERANCES_DIR, loadUtterances } from '../server/src/loadtest/utterances.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, model: { type: 'string' } } });
const quick = values.quick === true;
const PER_NODE = 4;
const FLEET_CAP = 10;
const LEASE_MS = 3_000;
const GRACE_MS = 15_000;
const BURST_CLIENTS = quick ? 24 : 60;
const CALLERS = quick ? 3 : 4;
const LOAD_S = quick ? 16 : 40;
/** When the faults are injected, seconds into the load (each waits for a call, or an answer, to hit). */
const KILL_AT_S = quick ? 5 : 10;
const TERM_AT_S = quick ? 9 : 22;

const say = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function byNode(fleet: RunningFleet, tallies: Iterable<SessionTally>): Map<number | undefined, SessionTally[]> {
  const out = new Map<number | undefined, SessionTally[]>();
  for (const t of tallies) {
    const n = fleet.nodeOfSession(t.sessionId);
    out.set(n, [...(out.get(n) ?? []), t]);
  }
  return out;
}

interface ProcessSample {
  cpuUs: number;
  rssBytes: number;
}

async function processSample(url: string): Promise<ProcessSample> {
  const m = (await (await fetch(`${url}/metrics.json`)).json()) as { cpuUserUs: number; cpuSystemUs: number; rssBytes: number };
  return { cpuUs: m.cpuUserUs + m.cpuSystemUs, rssBytes: m.rssBytes };
}

async function loadWithFaults(fleet: RunningFleet) {
  // The node that lives through the run measures what a live call costs: its CPU over the seconds of calls it held.
  const survivor = 2;
  const before = await processSample(fleet.nodes[survivor]!.httpUrl);
  const utterances = await loadUtterances(DEFAULT_UTTERANCES_DIR);
  const tallies = new SessionTallies();
  const connect = tallies.wrap(await makeConnector('ws'));
  const load = runLoad(fleetLoadPlan(fleet.voiceUrl, utterances, CALLERS, LOAD_S, 15), { connect });
  const live = (node: number) => [...tallies.sessions.values()].filter((t) => t.closedAtMs === undefined && fleet.nodeOfSession(t.sessionId) === node);

  // kill -9 the first node once one of its callers is mid-turn.
  const killed = 0;
  await sleep(KILL_AT_S * 1000 - tallies.now());
  await waitFor(() => live(killed).some((t) => t.turnOpen), 20_000, 'no call in progress on the node to kill', 20);
  const registeredAtKill = (await readFleet(fleet.admin)).calls.filter((c) => c.node === fleet.nodeIds[killed]).length;
  const killAtMs = tallies.now();
  fleet.nodes[killed]!.process.kill('SIGKILL');
  say(`  kill -9 ${fleet.nodeIds[killed]} with ${registeredAtKill} call(s) registered`);
  await waitFor(
    async () => {
      const view = await readFleet(fleet.admin);
      return !view.nodes.some((n) => n.id === fleet.nodeIds[killed]) && !view.calls.some((c) => c.node === fleet.nodeIds[killed]);
    },
    LEASE_MS * 3,
    'the killed node was not reaped',
    25,
  );
  // kill -9 → its lease gone and its calls freed in Redis (polled every 25 ms).
  const leaseExpiryMs = Math.round(tallies.now() - killAtMs);

  // SIGTERM the second node once one of its answers is playing.
  const drained = 1;
  await sleep(TERM_AT_S * 1000 - tallies.now());
  await waitFor(() => live(drained).some((t) => t.answering), 30_000, 'no answer playing on the node to drain', 10);
  const playing = live(drained).filter((t) => t.answering).map((t) => ({ t, doneBefore: t.turnsDone }));
  const termAtMs = tallies.now();
  fleet.nodes[drained]!.process.kill('SIGTERM');
  say(`  SIGTERM ${fleet.nodeIds[drained]} with ${playing.length} answer(s) playing`);
  const exitCode = await fleet.nodes[drained]!.exited;
  const drainMs = Math.round(tallies.now() - termAtMs);
  const leftRegistry = !(await readFleet(fleet.admin)).nodes.some((n) => n.id === fleet.nodeIds[drained]);

  const result = await load;
  const after = await processSample(fleet.nodes[survivor]!.httpUrl);
  const nodes = byNode(fleet, tallies.sessions.values());
  const callSeconds = (nodes.get(survivor) ?? []).reduce((s, t) => s + ((t.closedAtMs ?? tallies.now()) - t.openedAtMs) / 1000, 0);
  // Lost: a turn left unfinished by a node that died; on a draining node, a question committed before the SIGTERM
  // and never answered. A question still being spoken when the drain began was refused (SHUTTING_DOWN), not lost.
  const unfinished = (ts: SessionTally[] | undefined) => (ts ?? []).flatMap((t) => t.unfinishedTurns);
  const lost = (ts: SessionTally[] | undefined, committedBefore = Infinity) =>
    unfinished(ts).filter((u) => committedBefore === Infinity || (u.committedAtMs !== undefined && u.committedAtMs < committedBefore)).length;
  const refusedTurns = (ts: SessionTally[] | undefined, code: string) => (ts ?? []).reduce((n, t) => n + (t.turnErrors[code] ?? 0), 0);
  const callsAfter = (atMs: number, node: number) => (nodes.get(node) ?? []).filter((t) => t.openedAtMs > atMs).length;
  const turnOutcomes: Record<string, number> = {};
  for (const t of result.turns) turnOutcomes[t.outcome] = (turnOutcomes[t.outcome] ?? 0) + 1;
  const callOutcomes: Record<string, number> = {};
  for (const c of result.calls) callOutcomes[c.outcome] = (callOutcomes[c.outcome] ?? 0) + 1;
  return {
    load: {
      callers: CALLERS,
      seconds: LOAD_S,
      calls: result.calls.length,
      callOutcomes,
      turns: result.turns.length,
      turnOutcomes,
      turnsAnsweredRight: result.turns.filter((t) => t.outcome === 'done' && t.answerOk).length,
      sessionsUnattributed: (nodes.get(undefined) ?? []).length,
    },
    perCall: {
      node: fleet.nodeIds[survivor],
      callSeconds: Math.round(callSeconds),
      cpuCoresPerLiveCall: Math.round(((after.cpuUs - before.cpuUs) / 1e6 / Math.max(1, callSeconds)) * 1000) / 1000,
      rssIdleMb: Math.round(before.rssBytes / 2 ** 20),
      rssAfterMb: Math.round(after.rssBytes / 2 ** 20),
    },
    kill: {
      node: fleet.nodeIds[killed],
      callsRegisteredAtKill: registeredAtKill,
      lostTurnsOnKilledNode: lost(nodes.get(killed)),
      lostTurnsElsewhere: fleet.nodes.reduce((n, _, i) => n + (i === killed ? 0 : lost(nodes.get(i), i === drained ? termAtMs : Infinity)), 0),
      leaseExpiryMs,
      leaseBoundMs: LEASE_MS + Math.floor(LEASE_MS / 3),
      callsAfterKillOnKilledNode: callsAfter(killAtMs, killed),
      callsAfterKillOnOthers: fleet.nodes.reduce((n, _, i) => n + (i === killed ? 0 : callsAfter(killAtMs, i)), 0),
    },
    drain: {
      node: fleet.nodeIds[drained],
      answersPlaying: playing.length,
      answersFinished: playing.filter((p) => p.t.turnsDone > p.doneBefore).length,
      turnsLostOnDrainedNode: lost(nodes.get(drained), termAtMs),
      newTurnsRefusedShuttingDown: refusedTurns(nodes.get(drained), 'SHUTTING_DOWN') + unfinished(nodes.get(drained)).length - lost(nodes.get(drained), termAtMs),
      drainMs,
      drainBoundMs: GRACE_MS,
      exitCode,
      leftRegistry,
      callsAfterTermOnSurvivor: callsAfter(termAtMs, survivor),
    },
  };
}

async function main(): Promise<void> {
  const fleet = await startFleet({
    nodes: 3,
    maxSessionsPerNode: PER_NODE,
    fleetMaxCalls: FLEET_CAP,
    leaseMs: LEASE_MS,
    shutdownGraceMs: GRACE_MS,
    extraArgs: values.model === undefined ? [] : ['--model', values.model],
  });
  try {
    say(`fleet up: redis ${fleet.redis.url}, ${fleet.nodes.length} nodes, nginx ${fleet.nginx.httpBase}`);
    const registryEmpty = () => waitFor(async () => Number(await fleet.admin.hLen('voxgate:calls')) === 0, 5_000, 'calls still registered');
    const slots = { oneNode: await slotsAt(fleet.nodes[2]!.voiceUrl, 50), perNodeCap: PER_NODE, fleetCap: FLEET_CAP, threeNodes: 0 };
    await registryEmpty();
    slots.threeNodes = await slotsAt(fleet.voiceUrl, 50);
    await registryEmpty();
    say(`slots: one node ${slots.oneNode}, three nodes through nginx ${slots.threeNodes}`);
    const burstFigures = await burst(fleet, BURST_CLIENTS, FLEET_CAP, 500);
    await registryEmpty();
    say(`burst: ${burstFigures.admitted} of ${BURST_CLIENTS} admitted at once, overshoot ${burstFigures.overshoot}`);
    const webrtc = await webrtcThroughNginx(fleet, 'what day comes after monday');
    await registryEmpty();
    say(`webrtc through nginx: answered "${webrtc.answer}", ${webrtc.audioFrames} audio frames; hung up via ${webrtc.hangUpSentTo} (${webrtc.hangUpStatus})`);
    let capacity;
    if (!quick) {
      // The same callers, twice the per-node cap: one node directly, then three through nginx.
      const utterances = await loadUtterances(DEFAULT_UTTERANCES_DIR);
      const oneNode = await capacityAt(fleet.nodes[2]!.voiceUrl, utterances, 2 * PER_NODE, 30);
      await registryEmpty();
      const threeNodes = await capacityAt(fleet.voiceUrl, utterances, 2 * PER_NODE, 30);
      await registryEmpty();
      capacity = { oneNode, threeNodes };
      say(`capacity, ${2 * PER_NODE} callers: one node ${oneNode.turnsDone} turns (${oneNode.refusedCalls} calls refused), three ${threeNodes.turnsDone} (${threeNodes.refusedCalls})`);
    }
    say(`load: ${CALLERS} callers for ${LOAD_S} s through nginx; kill -9 at ${KILL_AT_S} s, SIGTERM at ${TERM_AT_S} s`);
    const faults = await loadWithFaults(fleet);
    const crashes = fleet.nodes.filter((n, i) => i !== 0 && n.process.exitCode !== null && n.process.exitCode !== 0).length;
    console.log(JSON.stringify({ bench: 'fleet', quick, crashes, slots, burst: burstFigures, webrtc, ...(capacity === undefined ? {} : { capacity }), ...faults }));
  } finally {
    await fleet.stop();
  }
}

await main();
