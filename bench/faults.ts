// Fault figures, from one command against `voxgate serve` on the real model (a child process on 127.0.0.1,
// bounded in count and time). Last line: one JSON object.
//   1. a storm of malformed messages on every endpoint (random bytes, truncated, oversized, wrong types,
//      invalid UTF-8 and JSON, invalid Opus, control out of order, garbage SDP offers) plus idle sockets, while
//      real callers speak recorded questions: their transcripts and answers must equal a quiet run's;
//   2. calls hung up abruptly mid-answer, several at a time: no new call refused for a held slot, LLM
//      sequences and vocoder requests back to idle, RSS compared with the start;
//   3. SIGTERM with answers playing: they finish, a new call is refused with a code, exit 0.
//   npm run bench:faults [-- --quick] [--frames N] [--hangups N] [--model DIR]
import { parseArgs } from 'node:util';
import { everyEndpoint, Flood, loopbackAddresses } from '../server/src/loadtest/faults/flood.ts';
import { hangUpMidAnswer, spokenTurn, type HeardAnswer } from '../server/src/loadtest/faults/real-caller.ts';
import { startServeChild, type ServeChild } from '../server/src/loadtest/serve-child.ts';
import { Rng } from '../server/src/loadtest/rng.ts';
import { DEFAULT_UTTERANCES_DIR, loadUtterances, type Utterance } from '../server/src/loadtest/utterances.ts';
import { connect } from '../client-sdk/src/node/index.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, frames: { type: 'string' }, hangups: { type: 'string' }, model: { type: 'string' } },
});
const quick = values.quick === true;
const FRAMES = Number(values.frames ?? (quick ? 10_000 : 100_000));
const HANGUPS = Number(values.hangups ?? (quick ? 40 : 1000));
const HANGUP_CONCURRENCY = 4;
const MAX_SESSIONS = 12;
const SHUTDOWN_GRACE_MS = 15_000;
const MAX_MESSAGE_BYTES = 65_536;
const QUESTIONS = quick ? 2 : 4;

const say = (line: string): void => void process.stderr.write(`${line}\n`);

async function metricsJson(child: ServeChild): Promise<Record<string, unknown>> {
  return (await (await fetch(`${child.httpUrl}/metrics.json`)).json()) as Record<string, unknown>;
}

async function prometheusValue(child: ServeChild, name: string): Promise<number> {
  const text = await (await fetch(`${child.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}

/** How long closed sessions took to free their LLM sequence: mean, and how many within each bucket bound. */
async function releaseFigures(child: ServeChild): Promise<{ count: number; meanMs: number; withinMs: Record<string, number> }> {
  const text = await (await fetch(`${child.httpUrl}/metrics`)).text();
  const name = 'voxgate_session_release_seconds';
  const value = (series: string): number => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1] ?? NaN);
  const count = value(`${name}_count`);
  const withinMs: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))) {
    if (m[1] !== '+Inf') withinMs[String(Number(m[1]) * 1000)] = Number(m[2]);
  }
  return { count, meanMs: Math.round((value(`${name}_sum`) / count) * 1e4) / 10, withinMs };
}

const same = (a: HeardAnswer, b: HeardAnswer): boolean => a.transcript === b.transcript && a.answer === b.answer && a.error === undefined;

/** Garbage WebRTC offers: not SDP, JSON that is not an offer, oversized bodies. */
async function garbageOffers(url: string, until: () => boolean, rng: Rng): Promise<{ sent: number; statuses: Record<string, number> }> {
  const statuses: Record<string, number> = {};
  let sent = 0;
  const bodies: (() => [string, string])[] = [
    () => ['application/sdp', `v=${rng.between(0, 9)}\r\nm=audio ${'x'.repeat(rng.between(0, 200))}`],
    () => ['application/json', '{"sdp": 42, "session": []}'],
    () => ['application/json', '{"sdp": "v=0", "session": {"version": 99}'],
    () => ['text/plain', 'hello'],
    () => ['application/sdp', 'v'.repeat(200_000)],
  ];
  while (!until()) {
    const [type, body] = rng.pick(bodies)();
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body }).catch(() => undefined);
    const key = res === undefined ? 'error' : String(res.status);
    await res?.text().catch(() => '');
    statuses[key] = (statuses[key] ?? 0) + 1;
    sent++;
  }
  return { sent, statuses };
}

/** Release figures of the sessions closed between two readings. */
function since(now: Awaited<ReturnType<typeof releaseFigures>>, before: Awaited<ReturnType<typeof releaseFigures>>) {
  const count = now.count - before.count;
  const withinMs: Record<string, number> = {};
  for (const [le, n] of Object.entries(now.withinMs)) withinMs[le] = n - (before.withinMs[le] ?? 0);
  const meanMs = Math.round(((now.meanMs * now.count - before.meanMs * before.count) / Math.max(1, count)) * 10) / 10;
  return { count, meanMs, withinMs };
}

async function stormPhase(child: ServeChild, utterances: Utterance[], quiet: HeardAnswer[]) {
  const flood = new Flood({
    targets: everyEndpoint(child, 1),
    flooders: 16,
    idlers: 8,
    localAddresses: ['127.0.0.1', ...loopbackAddresses(4)],
    maxMessages: FRAMES,
    burst: 3,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    seed: 13,
  });
  const t0 = performance.now();
  flood.start();
  let flooding = true;
  const offers = garbageOffers(child.webrtcUrl, () => !flooding, new Rng(7));
  const answers: HeardAnswer[] = [];
  let mismatches = 0;
  let rounds = 0;
  try {
    // Real callers two at a time, round after round, for as long as the storm lasts (one round at least).
    do {
      for (let i = 0; i < utterances.length; i += 2) {
        const pair = utterances.slice(i, i + 2);
        const got = await Promise.all(pair.map((u) => spokenTurn(child.voiceUrl, u)));
        got.forEach((g, k) => {
          answers.push(g);
          if (!same(g, quiet[i + k]!)) {
            mismatches++;
            say(`  mismatch: ${JSON.stringify(g)} vs quiet ${JSON.stringify(quiet[i + k])}`);
          }
        });
      }
      rounds++;
    } while (flood.figures.messagesSent < FRAMES);
    await flood.budgetSpent();
  } finally {
    flooding = false;
    await flood.stop();
  }
  const offerFigures = await offers;
  const figures = flood.figures;
  const alive = child.process.exitCode === null && (await fetch(`${child.httpUrl}/healthz`)).status === 200;
  return {
    malformedMessages: figures.messagesSent,
    garbageOffers: offerFigures.sent,
    framesFuzzed: figures.messagesSent + offerFigures.sent,
    kinds: Object.keys(figures.kinds).length,
    hostileConnections: figures.connectionsOpened,
    closeCodes: figures.closeCodes,
    offerStatuses: offerFigures.statuses,
    realTurns: answers.length,
    realCallerRounds: rounds,
    answersIdentical: mismatches === 0 && answers.length > 0,
    mismatches,
    gatewayUp: alive,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
}

async function hangUpPhase(child: ServeChild, utterances: Utterance[], quiet: HeardAnswer[]) {
  const rss0 = Number((await metricsJson(child))['rssBytes']);
  const releasedBefore = await releaseFigures(child);
  const t0 = performance.now();
  const tally: Record<string, number> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < HANGUPS) {
      const i = next++;
      const r = await hangUpMidAnswer(child.voiceUrl, utterances[i % utterances.length]!.transcript);
      tally[r] = (tally[r] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: HANGUP_CONCURRENCY }, worker));
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  // Back to idle: sequences, vocoder requests and sessions (a little time for the last closes).
  const deadline = Date.now() + 10_000;
  let seqs = NaN;
  let vocoder = NaN;
  let sessions = NaN;
  do {
    seqs = await prometheusValue(child, 'voxgate_llm_sequences_in_use');
    vocoder = await prometheusValue(child, 'voxgate_vocoder_queue_depth');
    sessions = await prometheusValue(child, 'voxgate_sessions_active');
    if (seqs === 0 && vocoder === 0 && sessions === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < deadline);
  const rss1 = Number((await metricsJson(child))['rssBytes']);
  const release = since(await releaseFigures(child), releasedBefore);
  const after = await spokenTurn(child.voiceUrl, utterances[0]!);
  const refusedForSlot = Object.entries(tally).filter(([k]) => k === 'refused:SERVER_FULL').reduce((n, [, v]) => n + v, 0);
  return {
    calls: HANGUPS,
    concurrency: HANGUP_CONCURRENCY,
    outcomes: tally,
    refusedForHeldSlot: refusedForSlot,
    llmSequencesInUseAfter: seqs,
    vocoderQueueDepthAfter: vocoder,
    sessionsAfter: sessions,
    sequencesBack: seqs === 0 && vocoder === 0 && sessions === 0,
    /** The hung-up sessions': close → LLM sequence free. */
    sessionRelease: release,
    rssStartMb: Math.round(rss0 / 2 ** 20),
    rssEndMb: Math.round(rss1 / 2 ** 20),
    rssChangePercent: Math.round(((rss1 - rss0) / rss0) * 1000) / 10,
    answerAfterIdentical: same(after, quiet[0]!),
    seconds,
  };
}

async function drainPhase(child: ServeChild, utterances: Utterance[]) {
  // Two callers with answers playing when SIGTERM arrives.
  const live = await Promise.all(
    utterances.slice(0, 2).map(async (u) => {
      const client = await connect({ url: child.voiceUrl, mode: 'text-to-speech' });
      const done = new Promise<boolean>((resolve) => {
        client.on('turn.done', () => resolve(true));
        client.on('close', () => resolve(false));
      });
      const audio = new Promise<void>((resolve) => client.on('audio.start', () => resolve()));
      client.sendText(u.transcript, 'text-to-speech');
      await audio;
      return { client, done };
    }),
  );
  const t0 = performance.now();
  child.process.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  const refused = await connect({ url: child.voiceUrl, mode: 'text-to-text' }).then(
    (c) => (c.close(), 'admitted'),
    (err: unknown) => (err as { code?: string }).code ?? 'error',
  );
  const finished = (await Promise.all(live.map((l) => l.done))).filter(Boolean).length;
  const closes = await Promise.all(live.map((l) => l.client.closed));
  const exitCode = await child.exited;
  return {
    liveAnswers: live.length,
    answersFinished: finished,
    closeCodes: closes.map((c) => c.code),
    newCallRefusedWith: refused,
    exitCode,
    drainMs: Math.round(performance.now() - t0),
    drainBoundMs: SHUTDOWN_GRACE_MS,
  };
}

async function main(): Promise<void> {
  const utterances = (await loadUtterances(DEFAULT_UTTERANCES_DIR)).slice(0, QUESTIONS);
  const args = ['--max-sessions', String(MAX_SESSIONS), '--max-sessions-per-ip', '4', '--shutdown-grace-ms', String(SHUTDOWN_GRACE_MS), '--log-level', 'info'];
  if (values.model !== undefined) args.push('--model', values.model);
  const child = await startServeChild(args);
  try {
    say(`voxgate serve up at ${child.httpUrl}; quiet run (${utterances.length} questions)`);
    const quiet: HeardAnswer[] = [];
    for (const u of utterances) quiet.push(await spokenTurn(child.voiceUrl, u));
    if (quiet.some((q) => q.error !== undefined || q.answer === undefined)) throw new Error(`the quiet run failed: ${JSON.stringify(quiet)}`);
    say(`storm: ${FRAMES} malformed messages, 16 flooders and 8 idle sockets, garbage offers, real callers talking`);
    const storm = await stormPhase(child, utterances, quiet);
    say(`hang-ups: ${HANGUPS} calls, ${HANGUP_CONCURRENCY} at a time`);
    const hangups = await hangUpPhase(child, utterances, quiet);
    say('drain: SIGTERM with two answers playing');
    const drain = await drainPhase(child, utterances);
    const crashes = drain.exitCode === 0 && storm.gatewayUp ? 0 : 1;
    // Turns the engine failed (a model's malformed output is the model's, not a fault of the gateway): by code.
    const turnFailures: Record<string, number> = {};
    for (const rec of child.logs.filter((l) => l['msg'] === 'turn failed')) {
      const code = String(rec['code']);
      turnFailures[code] = (turnFailures[code] ?? 0) + 1;
      say(`  turn failed: ${String(rec['transport'])} ${code} ${String(rec['message'])}`);
    }
    console.log(JSON.stringify({ bench: 'faults', quick, crashes, storm, hangups, drain, turnFailures }));
  } finally {
    if (child.process.exitCode === null) child.process.kill('SIGKILL');
  }
}

await main();
