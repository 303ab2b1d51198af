// What the gateway adds to time-to-first-audio: from the engine emitting its first audio chunk to the client
// holding the first decoded frame (resample, Opus encode, pacer, ws, loopback TCP, SDK decode). Engine and
// client share this process, so one clock times both ends. Run: npx tsx bench/gateway-overhead.ts
import { connect } from '../client-sdk/src/node/index.ts';
import { makeConfig } from '../server/src/config.ts';
import { startServer } from '../server/src/http/server.ts';
import type { EngineEvent } from '../server/src/engine/types.ts';
import { FakeEngine } from '../test/helpers/fake-engine.ts';

const TURNS = 30;

const engine = new FakeEngine({ answerAudioMs: 200, audioChunkMs: 200, stepDelayMs: 1 });
const firstChunkAt = new Map<string, number>();
const open = engine.openSession.bind(engine);
engine.openSession = async (opts) => {
  const s = await open(opts);
  s.on((e: EngineEvent) => {
    if (e.type === 'audio.chunk' && !firstChunkAt.has(e.turnId)) firstChunkAt.set(e.turnId, performance.now());
  });
  return s;
};
const server = await startServer({ config: makeConfig({ port: 0, logLevel: 'silent' }), engine });

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}

console.log(`voxgate gateway overhead on first audio, ${TURNS} turns each, Node ${process.version}`);
for (const output of [{ codec: 'opus', sampleRateHz: 16000 }, { codec: 'opus', sampleRateHz: 48000 }, { codec: 'pcm16', sampleRateHz: 16000 }] as const) {
  const client = await connect({ url: server.voiceUrl, mode: 'text-to-speech', output });
  const gaps: number[] = [];
  for (let i = 0; i < TURNS; i++) {
    let turnId = '';
    const got = new Promise<number>((resolve) => {
      const off = client.on('audio', (a) => {
        turnId = a.turnId;
        off();
        resolve(performance.now());
      });
    });
    const done = new Promise((resolve) => {
      const off = client.on('turn.done', (e) => {
        off();
        resolve(e);
      });
    });
    // Let the previous answer finish playing: its audio rightly delays the next one's while it plays.
    await new Promise((r) => setTimeout(r, 250));
    client.sendText(`turn ${i}`);
    const receivedAt = await got;
    await done;
    gaps.push(receivedAt - (firstChunkAt.get(turnId) ?? NaN));
  }
  await client.end();
  console.log(`${`${output.codec} ${output.sampleRateHz} Hz`.padEnd(16)} p50 ${percentile(gaps, 0.5).toFixed(2)} ms  p95 ${percentile(gaps, 0.95).toFixed(2)} ms  max ${Math.max(...gaps).toFixed(2)} ms`);
}
await server.close(0);
