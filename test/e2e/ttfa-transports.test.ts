// Time to first audio over WebSocket and WebRTC in the same run, on the real model, from Node callers (the SDK's
// ws client and its werift client): the same question streamed at real time, the turn committed by the caller,
// transports alternated so both see the same machine load. Prints the figures and writes them to test-output/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { connect, readWav, type VoiceClient } from '../../client-sdk/src/node/index.ts';
import { connectWebRtc } from '../../client-sdk/src/transports/webrtc-node.ts';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import type { Engine } from '../../server/src/engine/types.ts';
import { OUTPUT_DIR, startBrowserTestServer, type BrowserTestServer } from '../helpers/browser.ts';
import { MODEL_DIR, MODEL_READY } from '../integration/engine-model.ts';

const QUESTION_WAV = 'web/samples/two-plus-three.wav';
const ROUNDS = 5;
const FRAME_SAMPLES = 320;

interface Measure {
  transport: 'websocket' | 'webrtc';
  /** input.commit sent → first answer audio frame received by the caller. */
  clientTtfaMs: number;
  serverTtfaMs: number | undefined;
  transcript: string;
  answer: string;
}

let server: BrowserTestServer<Engine>;
const measures: Measure[] = [];

describeIf(MODEL_READY, 'the shipped model (models/voxgate-tiny-en) and espeak-ng')('TTFA, WebSocket vs WebRTC (real model, Node callers)', () => {
  beforeAll(async () => {
    server = await startBrowserTestServer(createEngine({ modelDir: MODEL_DIR, maxSessions: 2 }));
    await server.server.gateway.ready;
  });
  afterAll(async () => {
    await server?.close();
    await server?.engine.close();
  });

  it(`answers the same question ${ROUNDS} times over each transport`, async () => {
    const { pcm } = await readWav(QUESTION_WAV, 16000);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so neither always follows the other's warm-up.
      const order = round % 2 === 0 ? (['websocket', 'webrtc'] as const) : (['webrtc', 'websocket'] as const);
      for (const transport of order) measures.push(await oneTurn(transport, pcm));
    }
    for (const m of measures) {
      expect(m.transcript.trim()).not.toBe('');
      expect(m.clientTtfaMs).toBeGreaterThan(0);
    }
    report();
  }, 300_000);
});

async function oneTurn(transport: Measure['transport'], pcm: Float32Array): Promise<Measure> {
  const opts = { mode: 'speech-to-speech' as const, vad: false, input: { codec: 'opus' as const, sampleRateHz: 16000 as const }, output: { codec: 'opus' as const, sampleRateHz: 16000 as const } };
  const client: VoiceClient =
    transport === 'webrtc' ? await connectWebRtc({ ...opts, url: server.endpoints.webrtcUrl }) : await connect({ ...opts, url: server.server.voiceUrl });
  try {
    let committedAt = 0;
    let firstAudioAt = 0;
    let transcript = '';
    let answer = '';
    client.on('audio', () => (firstAudioAt ||= performance.now()));
    client.on('transcript.final', (e) => (transcript = e.text));
    client.on('answer.final', (e) => (answer = e.text));
    const done = new Promise<number | undefined>((resolve, reject) => {
      client.on('turn.done', (e) => resolve(e.timings.ttfaMs));
      client.on('error', (e) => reject(new Error(`${e.code}: ${e.message}`)));
    });
    const t0 = performance.now();
    for (let at = 0, i = 0; at < pcm.length; at += FRAME_SAMPLES, i++) {
      const wait = t0 + i * 20 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      client.sendAudio(pcm.subarray(at, at + FRAME_SAMPLES));
    }
    client.commit();
    committedAt = performance.now();
    const serverTtfaMs = await done;
    // Over WebRTC the last audio can trail turn.done (separate paths); the first frame cannot.
    return { transport, clientTtfaMs: Math.round(firstAudioAt - committedAt), serverTtfaMs: serverTtfaMs === undefined ? undefined : Math.round(serverTtfaMs), transcript, answer };
  } finally {
    await client.end();
  }
}

function report(): void {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const summary = (['websocket', 'webrtc'] as const).map((transport) => {
    const ms = measures.filter((m) => m.transport === transport);
    return {
      transport,
      turns: ms.length,
      clientTtfaMedianMs: median(ms.map((m) => m.clientTtfaMs)),
      serverTtfaMedianMs: median(ms.flatMap((m) => (m.serverTtfaMs === undefined ? [] : [m.serverTtfaMs]))),
      clientTtfaMs: ms.map((m) => m.clientTtfaMs),
    };
  });
  mkdirSync(OUTPUT_DIR, { recursive: true });
  writeFileSync(`${OUTPUT_DIR}/ttfa-transports.json`, `${JSON.stringify({ question: QUESTION_WAV, summary, measures }, null, 1)}\n`);
  console.log(`TTFA (commit sent → first answer audio received), "${measures[0]?.transcript}" → "${measures[0]?.answer}"`);
  for (const s of summary) console.log(`  ${s.transport.padEnd(9)} median ${s.clientTtfaMedianMs} ms at the caller, ${s.serverTtfaMedianMs} ms in the engine  (each: ${s.clientTtfaMs.join(', ')})`);
  console.log(`  → ${OUTPUT_DIR}/ttfa-transports.json`);
}
