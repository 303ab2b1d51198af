// What server-side turn detection costs the gateway per caller: `callers` streams each score one 32 ms Silero frame
// per 32 ms of real speech (the bench questions, looped), for `seconds`, scored inline on the event loop
// (runtimes/vad.ts) and batched in a worker thread (runtimes/vad-thread.ts, the default), in alternating rounds in
// one process. Per arm: the process's CPU ms per second of caller audio (all threads), the event loop's busy share,
// and its lateness (a 5 ms interval timer); for the worker, frames per run.
//   npx tsx bench/vad-batch.ts [--callers 16] [--seconds 8] [--rounds 3]   (last line: one JSON object)
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { percentile } from '../server/src/loadtest/stats.ts';
import { DEFAULT_UTTERANCES_DIR, loadUtterances } from '../server/src/loadtest/utterances.ts';
import { SileroVad, type VoiceActivityModel } from '../server/src/runtimes/vad.ts';
import { openVad, SileroVadThread } from '../server/src/runtimes/vad-thread.ts';
import { startLagProbe } from './loop-lag.ts';

const { values } = parseArgs({ options: { callers: { type: 'string' }, seconds: { type: 'string' }, rounds: { type: 'string' } } });
const callers = Number(values.callers ?? 16);
const seconds = Number(values.seconds ?? 8);
const rounds = Number(values.rounds ?? 3);
const TICK_MS = 5;

interface Arm {
  cpuMsPerAudioSecond: number;
  loopBusyShare: number;
  lagP99Ms: number;
  frames: number;
}

const speech = (await loadUtterances(DEFAULT_UTTERANCES_DIR)).map((u) => u.pcm);

async function drive(vad: VoiceActivityModel): Promise<Arm> {
  const frameMs = (vad.frameSamples * 1000) / vad.sampleRateHz;
  const probe = startLagProbe(TICK_MS);
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  let frames = 0;
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      await new Promise((r) => setTimeout(r, (c * frameMs) / callers)); // callers' frames spread over a frame's time
      const stream = vad.openStream();
      const pcm = speech[c % speech.length]!;
      let at = 0;
      for (let due = performance.now(); performance.now() < end; due += frameMs) {
        if (at + vad.frameSamples > pcm.length) at = 0;
        await stream.score(pcm.subarray(at, at + vad.frameSamples));
        at += vad.frameSamples;
        frames++;
        const wait = due + frameMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }),
  );
  const lags = probe.stop();
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const audioSeconds = (frames * frameMs) / 1000;
  return {
    cpuMsPerAudioSecond: Math.round(((cpu.user + cpu.system) / 1000 / audioSeconds) * 100) / 100,
    loopBusyShare: Math.round(elu.utilization * 1000) / 1000,
    lagP99Ms: Math.round(percentile(lags, 99) * 10) / 10,
    frames,
  };
}

const inline = await SileroVad.load();
const batched = (await openVad('silero', inline.sampleRateHz, 'worker')) as SileroVadThread;
await drive(inline); // warm-up of both arms, not counted
await drive(batched);
const rows: { round: number; inline: Arm; worker: Arm & { framesPerRun: number } }[] = [];
for (let round = 0; round < rounds; round++) {
  const runs0 = batched.runs;
  const frames0 = batched.frames;
  const a = await drive(inline);
  const b = await drive(batched);
  const worker = { ...b, framesPerRun: Math.round(((batched.frames - frames0) / Math.max(1, batched.runs - runs0)) * 10) / 10 };
  rows.push({ round, inline: a, worker });
  process.stderr.write(
    `round ${round + 1}: inline ${a.cpuMsPerAudioSecond} CPU ms per s of audio, loop busy ${a.loopBusyShare}, lag p99 ${a.lagP99Ms} ms | ` +
      `worker ${worker.cpuMsPerAudioSecond}, loop busy ${worker.loopBusyShare}, lag p99 ${worker.lagP99Ms} ms, ${worker.framesPerRun} frames per run\n`,
  );
}
await Promise.all([inline.close(), batched.close()]);
const ratio = (f: (r: (typeof rows)[number]) => number) => rows.map((r) => Math.round(f(r) * 100) / 100);
process.stdout.write(
  `${JSON.stringify({
    callers,
    seconds,
    rounds: rows,
    /** Per round: the worker's CPU per second of audio over inline's (all threads), and its event-loop busy share over inline's. */
    cpuWorkerOverInline: ratio((r) => r.worker.cpuMsPerAudioSecond / r.inline.cpuMsPerAudioSecond),
    loopBusyWorkerOverInline: ratio((r) => r.worker.loopBusyShare / r.inline.loopBusyShare),
  })}\n`,
);
