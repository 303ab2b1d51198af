// Signed, expiring tokens on every endpoint of the real ws server (fake engine): minted by `voxgate token`, refused
// with their own codes when missing, expired, tampered with, or presented from an origin not on the allow-list;
// a token's own session cap holds.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, VoiceClientError } from '../../client-sdk/src/node/index.ts';
import { mintToken, verifyToken } from '../../server/src/auth/signed-token.ts';
import { attachBrowserEndpoints } from '../../server/src/http/webrtc-attach.ts';
import { PhoneClient } from '../../server/src/loadtest/phone-client.ts';
import { voxgate } from '../helpers/cli.ts';
import { RawPeer, SESSION_START_PCM16, startFakeServer, type FakeServer } from '../helpers/fake-engine.ts';

const SECRET = 'a-gateway-secret-of-at-least-32-characters';
let fake: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** The HTTP refusal of a WebSocket upgrade: status and JSON body. */
function refusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
  });
}

describe('signed tokens', () => {
  it('verifies what it mints, and names what is wrong with a token that does not check', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const token = mintToken({ secret: SECRET, ttlS: 60, sub: 'alice', maxSessions: 2, nowMs: now });
    expect(verifyToken(token, SECRET, now)).toEqual({ ok: true, claims: { sub: 'alice', exp: now / 1000 + 60, maxSessions: 2 } });
    expect(verifyToken(token, SECRET, now + 61_000)).toMatchObject({ ok: false, reason: 'expired' });
    expect(verifyToken(token, `${SECRET}x`, now)).toMatchObject({ ok: false, reason: 'bad-signature' });
    // Claims changed after signing (a longer expiry): the signature no longer matches.
    const [prefix, , sig] = token.split('.');
    const forged = `${prefix}.${Buffer.from(JSON.stringify({ sub: 'alice', exp: 4e9 })).toString('base64url')}.${sig}`;
    expect(verifyToken(forged, SECRET, now)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyToken('vg1.', SECRET, now)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(() => mintToken({ secret: 'short', ttlS: 60 })).toThrow(/at least 32/);
  });

  it('voxgate token mints one from the command line', async () => {
    const r = await voxgate(['token', '--secret', SECRET, '--ttl', '1h', '--sub', 'bob', '--max-sessions', '3']);
    expect(r.code).toBe(0);
    const check = verifyToken(r.stdout.trim(), SECRET);
    expect(check).toMatchObject({ ok: true, claims: { sub: 'bob', maxSessions: 3 } });
    if (check.ok) expect(check.claims.exp - Date.now() / 1000).toBeGreaterThan(3590);
    const bad = await voxgate(['token', '--secret', SECRET, '--ttl', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ttl/);
  });

  it('refuses a call without a valid token on every endpoint, with the refusal’s code', async () => {
    fake = await startFakeServer({ authSecret: SECRET, allowedOrigins: ['https://app.example'] }, { answerAudioMs: 100 });
    const { server } = fake;
    const endpoints = attachBrowserEndpoints(server, { demo: false });
    const good = mintToken({ secret: SECRET, ttlS: 60, sub: 'carol' });
    const expired = mintToken({ secret: SECRET, ttlS: 1, sub: 'carol', nowMs: Date.now() - 10_000 });
    const forged = mintToken({ secret: `${SECRET}-not-ours`, ttlS: 60 });

    for (const url of [server.voiceUrl, server.realtimeUrl]) {
      expect(await refusal(url)).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
      expect(await refusal(`${url}?token=${expired}`)).toMatchObject({ status: 401, body: { code: 'TOKEN_EXPIRED' } });
      expect(await refusal(url, { Authorization: `Bearer ${forged}` })).toMatchObject({ status: 401, body: { code: 'TOKEN_INVALID' } });
      expect(await refusal(`${url}?token=${good}`, { Origin: 'https://evil.example' })).toMatchObject({ status: 403, body: { code: 'ORIGIN_NOT_ALLOWED' } });
    }
    // The SDK names the refusal; with a good token and an allowed origin the call goes through.
    const noToken = await connect({ url: server.voiceUrl, mode: 'text-to-text' }).catch((e: unknown) => e);
    expect(noToken).toBeInstanceOf(VoiceClientError);
    const ok = await RawPeer.open(`${server.voiceUrl}?token=${good}`, { Origin: 'https://app.example' });
    ok.send(SESSION_START_PCM16);
    await ok.waitForType('session.started');
    ok.ws.terminate();

    // Phone streams may carry the token in-band: refused there with the same codes, as close codes.
    for (const [token, closeCode] of [[undefined, 4007], [expired, 4016], [forged, 4017]] as const) {
      const phone = await PhoneClient.open(server.phoneUrl, { parameters: token === undefined ? {} : { token } });
      phone.start();
      expect(await phone.closed).toMatchObject({ code: closeCode });
    }
    const phoneOk = await PhoneClient.open(server.phoneUrl, { parameters: { token: good } });
    phoneOk.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(phoneOk.isOpen).toBe(true);
    phoneOk.close();

    // WebRTC offers: HTTP refusals with the code in the body.
    for (const [headers, status, code] of [
      [{}, 401, 'UNAUTHORIZED'],
      [{ Authorization: `Bearer ${expired}` }, 401, 'TOKEN_EXPIRED'],
      [{ Authorization: `Bearer ${good}`, Origin: 'https://evil.example' }, 403, 'ORIGIN_NOT_ALLOWED'],
    ] as const) {
      const res = await fetch(endpoints.webrtcUrl, { method: 'POST', headers: { 'Content-Type': 'application/sdp', ...headers }, body: 'v=0' });
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ code });
    }
  });

  it('holds a token to its own session cap', async () => {
    fake = await startFakeServer({ authSecret: SECRET });
    const token = mintToken({ secret: SECRET, ttlS: 60, sub: 'dave', maxSessions: 1 });
    const first = await connect({ url: fake.server.voiceUrl, mode: 'text-to-text', token });
    const second = await connect({ url: fake.server.voiceUrl, mode: 'text-to-text', token }).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'SERVER_FULL' });
    // Another subject is another token.
    const other = await connect({ url: fake.server.voiceUrl, mode: 'text-to-text', token: mintToken({ secret: SECRET, ttlS: 60, sub: 'erin' }) });
    // A token checked in-band (a phone stream's start parameters) counts the same.
    const phoneToken = mintToken({ secret: SECRET, ttlS: 60, sub: 'frank', maxSessions: 1 });
    const phone = await PhoneClient.open(fake.server.phoneUrl, { parameters: { token: phoneToken } });
    phone.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(phone.isOpen).toBe(true);
    const secondPhone = await PhoneClient.open(fake.server.phoneUrl, { parameters: { token: phoneToken } });
    secondPhone.start();
    expect(await secondPhone.closed).toMatchObject({ code: 1013 }); // SERVER_FULL
    phone.close();
    await Promise.all([first.end(), other.end()]);
  });
});
