// End to end in a real browser on the real model: Chromium's fake microphone speaks an espeak-ng question, the demo
// page calls the gateway over WebRTC and then over WebSocket, and each call also sends a sample question through
// the page's button. Checks the transcript and answer shown on the page (the shipped model's answers right) and
// that answer audio arrived, saves a screenshot, and prints the time to first audio of both transports measured in
// the same run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import type { Browser } from 'playwright-core';
import { createEngine } from '../../server/src/engine/create-engine.ts';
import type { Engine } from '../../server/src/engine/types.ts';
import {
  CHROMIUM_READY,
  OUTPUT_DIR,
  callStats,
  capturePageLog,
  fakeMicrophoneFile,
  launchChromium,
  shownTurn,
  startBrowserTestServer,
  startDemoCall,
  waitForTurns,
  type BrowserTestServer,
  type DemoTurn,
} from '../helpers/browser.ts';
import { DEFAULT_MODEL_DIR } from '../../server/src/runtimes/manifest.ts';
import { MODEL_DIR, MODEL_READY } from '../integration/engine-model.ts';

const MIC_QUESTION = { file: 'web/samples/two-plus-three.wav', question: 'what is two plus three', expected: 'five' };
const SAMPLE_QUESTION = { id: 'after-monday', question: 'what day comes after monday', expected: 'tuesday' };
/** A turn on two shared cores: encoder, LM and vocoder, with the browser running beside them. */
const TURN_TIMEOUT_MS = 60_000;

let server: BrowserTestServer<Engine>;
let browser: Browser | undefined;
const measured: (DemoTurn & { source: string })[] = [];

describeIf(CHROMIUM_READY && MODEL_READY, 'chromium and the shipped model (models/voxgate-tiny-en) and espeak-ng')('browser calls on the real model', () => {
  beforeAll(async () => {
    server = await startBrowserTestServer(createEngine({ modelDir: MODEL_DIR, maxSessions: 2 }));
    await server.server.gateway.ready;
    browser = await launchChromium(fakeMicrophoneFile(MIC_QUESTION.file, 'e2e'));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await server?.engine.close();
    if (measured.length > 0) report();
  });

  for (const transport of ['webrtc', 'websocket'] as const) {
    it(`answers the microphone and a sample question over ${transport}`, async () => {
      const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
      const log = capturePageLog(page);
      try {
        await page.goto(server.endpoints.pageUrl);
        await startDemoCall(page, transport, true);

        const [spoken] = await waitForTurns(page, 1, TURN_TIMEOUT_MS);
        await checkTurn(page, spoken!, MIC_QUESTION, `${transport} microphone`);
        const afterMic = await callStats(page);
        expect(afterMic.audioPacketsReceived).toBeGreaterThan(10);
        expect(afterMic.totalAudioEnergy).toBeGreaterThan(0);

        await page.click(`button[data-sample="${SAMPLE_QUESTION.id}"]`);
        const turns = await waitForTurns(page, 2, TURN_TIMEOUT_MS);
        await checkTurn(page, turns[1]!, SAMPLE_QUESTION, `${transport} sample`);
        const stats = await callStats(page);
        expect(stats.audioPacketsReceived).toBeGreaterThan(afterMic.audioPacketsReceived);

        const shot = `${OUTPUT_DIR}/demo-${transport}.png`;
        await page.screenshot({ path: shot, fullPage: true });
        console.log(`screenshot: ${shot}`);
        await page.click('#hangup');
        await page.waitForSelector('#state.ended', { timeout: 5_000 });
      } catch (err) {
        console.error(`page log:\n${log.join('\n')}`);
        throw err;
      } finally {
        await page.close();
      }
    }, 3 * TURN_TIMEOUT_MS);
  }
});

async function checkTurn(page: import('playwright-core').Page, turn: DemoTurn, q: { question: string; expected: string }, source: string): Promise<void> {
  measured.push({ ...turn, source });
  const shown = await shownTurn(page, turn.turnId);
  console.log(`${source}: asked "${q.question}" → heard "${turn.transcript}", answered "${turn.answer}" (taught: "${q.expected}")`);
  // What the page shows is what the gateway sent.
  expect(turn.transcript.trim()).not.toBe('');
  expect(turn.answer.trim()).not.toBe('');
  // The shipped model answers these two right over both transports; another folder (VOXGATE_MODEL_DIR) is only
  // checked for a well-formed turn, its accuracy being its own card's.
  if (MODEL_DIR === DEFAULT_MODEL_DIR) expect(turn.answer.trim()).toBe(q.expected);
  expect(shown.you).toBe(turn.transcript);
  expect(shown.bot).toBe(turn.answer);
  expect(turn.server.audioMs).toBeGreaterThan(0);
  expect(turn.client.ttfaMs).toBeGreaterThan(0);
}

function report(): void {
  const rows = measured.map((t) => ({
    source: t.source,
    transport: t.transport,
    serverTtfaMs: round(t.server.ttfaMs),
    pageTtfaMs: t.client.ttfaMs ?? null,
    firstAnswerMs: round(t.server.firstAnswerMs),
    audioMs: round(t.server.audioMs),
    transcript: t.transcript,
    answer: t.answer,
  }));
  mkdirSync(OUTPUT_DIR, { recursive: true });
  writeFileSync(`${OUTPUT_DIR}/ttfa.json`, `${JSON.stringify(rows, null, 1)}\n`);
  console.log('TTFA, same run (server: end of speech → first audio chunk at the gateway; page: speech.stopped received → first answer audio starts playing on the page)');
  for (const r of rows) console.log(`  ${r.source.padEnd(20)} server ${String(r.serverTtfaMs).padStart(5)} ms   page ${String(r.pageTtfaMs).padStart(5)} ms`);
  console.log(`  → ${OUTPUT_DIR}/ttfa.json`);
}

function round(v: number | undefined): number | null {
  return v === undefined ? null : Math.round(v);
}
