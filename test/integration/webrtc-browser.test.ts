// The demo page in a real Chromium, on the fake engine: the browser's fake microphone speaks a question, the page
// calls the gateway over WebRTC and over WebSocket, shows the transcript and answer, and plays answer audio.
// (test/e2e/ runs the same against the real model.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import type { Browser } from 'playwright-core';
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
} from '../helpers/browser.ts';
import { FakeEngine } from '../helpers/fake-engine.ts';

let server: BrowserTestServer<FakeEngine>;
let browser: Browser | undefined;

describeIf(CHROMIUM_READY, 'chromium (Debian package)')('demo page in Chromium (fake engine)', () => {
  beforeAll(async () => {
    server = await startBrowserTestServer(new FakeEngine({ answerAudioMs: 600, audioChunkMs: 100 }), { outputLeadMs: 100 });
    browser = await launchChromium(fakeMicrophoneFile('web/samples/two-plus-three.wav', 'fake-engine'));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const transport of ['webrtc', 'websocket'] as const) {
    it(`answers the microphone over ${transport}`, async () => {
      const page = await browser!.newPage();
      const log = capturePageLog(page);
      try {
        await page.goto(server.endpoints.pageUrl);
        await startDemoCall(page, transport, true);
        const [turn] = await waitForTurns(page, 1, 20_000);
        expect(turn?.transcript).toMatch(/^heard \d+ ms$/);
        const shown = await shownTurn(page, turn!.turnId);
        expect(shown.you).toBe(turn!.transcript);
        expect(shown.bot).toBe(`you said: ${turn!.transcript}`);
        expect(turn!.client.ttfaMs).toBeGreaterThan(0);
        const stats = await callStats(page);
        expect(stats.audioPacketsReceived).toBeGreaterThanOrEqual(25); // 600 ms of 20 ms frames, most of them
        if (transport === 'webrtc') expect(stats.totalAudioEnergy).toBeGreaterThan(0);
        const shot = `${OUTPUT_DIR}/demo-fake-${transport}.png`;
        await page.screenshot({ path: shot, fullPage: true });
        console.log(`${transport}: "${turn!.transcript}" ttfa server ${turn!.server.ttfaMs?.toFixed(0)} ms, page ${turn!.client.ttfaMs} ms; ${stats.audioPacketsReceived} audio packets; screenshot ${shot}`);
        await page.click('#hangup');
        await page.waitForSelector('#state.ended', { timeout: 5_000 });
      } catch (err) {
        console.error(log.join('\n'));
        throw err;
      } finally {
        await page.close();
      }
    });
  }
});

describeIf(CHROMIUM_READY, 'chromium (Debian package)')('demo page samples and text turns in Chromium (fake engine)', () => {
  beforeAll(async () => {
    server = await startBrowserTestServer(new FakeEngine({ answerAudioMs: 300, audioChunkMs: 100 }), { outputLeadMs: 100 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('speaks a sample question into a WebRTC call without a microphone, then takes a text turn', async () => {
    const page = await browser!.newPage();
    const log = capturePageLog(page);
    try {
      await page.goto(server.endpoints.pageUrl);
      await startDemoCall(page, 'webrtc', false);
      await page.click('button[data-sample="two-plus-three"]');
      const [spoken] = await waitForTurns(page, 1, 20_000);
      // The sample is 1.5 s; the fake engine reports what it heard until the VAD's silence ended the turn.
      expect(spoken?.transcript).toMatch(/^heard (1[5-9]|2\d)\d\d ms$/);
      await page.fill('#text', 'what is two plus three');
      await page.click('#send-text');
      const turns = await waitForTurns(page, 2, 10_000);
      const typed = turns[1]!;
      expect(typed.transcript).toBe('what is two plus three');
      expect((await shownTurn(page, typed.turnId)).bot).toBe('you said: what is two plus three');
      expect(typed.client.ttfaMs).toBeGreaterThan(0);
    } catch (err) {
      console.error(log.join('\n'));
      throw err;
    } finally {
      await page.close();
    }
  });
});

describeIf(CHROMIUM_READY, 'chromium (Debian package)')('a browser that goes away (fake engine)', () => {
  beforeAll(async () => {
    server = await startBrowserTestServer(new FakeEngine(), {});
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('ends the call and frees its session when the tab closes mid-call', async () => {
    const page = await browser!.newPage();
    await page.goto(server.endpoints.pageUrl);
    await startDemoCall(page, 'webrtc', false);
    const t0 = performance.now();
    await page.close(); // no hang-up click: the SDK ends the session as the page goes
    const closed = await server.callClosed();
    // At once, not when ICE consent expires (30 s).
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(closed.errorCode).toBeUndefined();
    expect(server.engine.activeSessions).toBe(0);
    expect(server.endpoints.webrtc.activeCalls).toBe(0);
  });
});
