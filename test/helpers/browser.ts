// Real-browser test support: Debian's Chromium through playwright-core, a fake microphone that speaks a WAV file,
// and a voxgate server with the browser endpoints (WebRTC, demo page) on loopback.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Config } from '../../server/src/config.ts';
import type { Engine } from '../../server/src/engine/types.ts';
import { attachBrowserEndpoints, type BrowserEndpoints } from '../../server/src/http/webrtc-attach.ts';
import { startTestServer, type TestServer } from './fake-engine.ts';

export const CHROMIUM_PATH = process.env['VOXGATE_CHROMIUM'] ?? '/usr/bin/chromium';
export const CHROMIUM_READY = existsSync(CHROMIUM_PATH);
export const OUTPUT_DIR = 'test-output/e2e';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Chromium whose fake microphone plays `speechWav` once (then silence). Without a file the fake device plays
 * its beep, which is not speech. `extraArgs` go after the usual flags.
 */
export function launchChromium(speechWav?: string, extraArgs: string[] = []): Promise<Browser> {
  const args = [...CHROMIUM_FLAGS, ...extraArgs];
  if (speechWav !== undefined) args.push(`--use-file-for-fake-audio-capture=${speechWav}%noloop`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args, timeout: 30_000 });
}

/**
 * The fake microphone's file: the question at 48 kHz (the capture rate) with silence before it (the call connects
 * while the file already plays) and after it (the server's VAD needs silence to end the turn).
 */
export function fakeMicrophoneFile(questionWav: string, name: string, leadS = 1.5, tailS = 2): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const out = resolve(OUTPUT_DIR, `${name}-mic-48k.wav`);
  execFileSync('sox', [questionWav, '-r', '48000', '-c', '1', '-b', '16', out, 'pad', String(leadS), String(tailS)]);
  return out;
}

export interface BrowserTestServer<E extends Engine> extends TestServer<E> {
  endpoints: BrowserEndpoints;
}

/** A voxgate server on 127.0.0.1 with the WebRTC endpoint and the demo page. */
export async function startBrowserTestServer<E extends Engine>(engine: E | Promise<E>, config: Partial<Config> = {}): Promise<BrowserTestServer<E>> {
  const server = await startTestServer(engine, config);
  return Object.assign(server, { endpoints: attachBrowserEndpoints(server.server) });
}

/** Page console errors and failures, collected so a test can print them when it fails. */
export function capturePageLog(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') lines.push(`[${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (err) => lines.push(`[pageerror] ${err.message}`));
  return lines;
}

/** Runs `use` on a new page; when it fails, prints the page's console errors first. Closes the page either way. */
export async function withPage<T>(browser: Browser, use: (page: Page) => Promise<T>): Promise<T> {
  const page = await browser.newPage();
  const log = capturePageLog(page);
  try {
    return await use(page);
  } catch (err) {
    console.error(`page log:\n${log.join('\n')}`);
    throw err;
  } finally {
    await page.close();
  }
}

/** Clicks Call on the demo page with the transport and microphone choice; waits until the call is live. */
export async function startDemoCall(page: Page, transport: 'webrtc' | 'websocket', microphone: boolean): Promise<void> {
  await page.check(`#transport-${transport}`);
  if (microphone) await page.check('#use-mic');
  else await page.uncheck('#use-mic');
  await page.click('#call');
  await page.waitForSelector('#state.live', { timeout: 15_000 });
}

export interface DemoTurn {
  turnId: string;
  transcript: string;
  answer: string;
  transport: string;
  server: { ttfaMs?: number; totalMs: number; audioMs: number; firstAnswerMs?: number };
  client: { ttfaMs?: number; firstTranscriptMs?: number; firstAnswerMs?: number; totalMs?: number };
}

interface DemoState {
  turns: DemoTurn[];
  errors: { code: string; message: string; turnId?: string }[];
  log: { atMs: number; type: string; turnId?: string }[];
}

/**
 * Waits for the demo page to report `count` finished turns and returns them. A turn that ends in an error event
 * fails at once, with the error and the page's event log.
 */
export async function waitForTurns(page: Page, count: number, timeoutMs: number): Promise<DemoTurn[]> {
  await page.waitForFunction(
    (n) => {
      const d = (globalThis as unknown as { voxgateDemo: DemoState }).voxgateDemo;
      return d.turns.length >= n || d.errors.some((e) => e.turnId !== undefined);
    },
    count,
    { timeout: timeoutMs, polling: 100 },
  );
  const demo = await page.evaluate(() => (globalThis as unknown as { voxgateDemo: DemoState }).voxgateDemo);
  const failed = demo.errors.find((e) => e.turnId !== undefined);
  if (demo.turns.length < count && failed !== undefined) {
    const events = demo.log.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    throw new Error(`turn ${failed.turnId} ended with ${failed.code}: ${failed.message} (events: ${events.join(' → ')})`);
  }
  return demo.turns;
}

export interface PageCallStats {
  transport: string;
  audioPacketsReceived: number;
  audioBytesReceived: number;
  totalAudioEnergy: number;
  audioReceivedS: number;
}

export function callStats(page: Page): Promise<PageCallStats> {
  return page.evaluate(async () => {
    const call = (globalThis as unknown as { voxgateDemo: { call?: { stats(): Promise<PageCallStats> } } }).voxgateDemo.call;
    if (call === undefined) throw new Error('no live call on the page');
    return call.stats();
  });
}

/** The text shown for a turn on the page (what a person sees), by turn id. */
export function shownTurn(page: Page, turnId: string): Promise<{ you: string; bot: string; chips: string[] }> {
  return page.evaluate((id) => {
    const li = document.querySelector(`li.turn[data-turn-id="${id}"]`);
    const text = (sel: string) => li?.querySelector(sel)?.textContent ?? '';
    return { you: text('.you .text'), bot: text('.bot .text'), chips: Array.from(li?.querySelectorAll('.chip') ?? [], (c) => c.textContent ?? '') };
  }, turnId);
}
