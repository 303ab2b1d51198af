// The gateway's per-connection policies as pure cores: message rate windows and the send-buffer guard.
import { describe, expect, it } from 'vitest';
import { SendBufferGuard } from '../../server/src/gateway/backpressure.ts';
import { AudioRateBudget, FrameRateLimiter } from '../../server/src/gateway/rate-limit.ts';
import { OutputAudio } from '../../server/src/gateway/audio-out.ts';
import { createInputAudio } from '../../server/src/gateway/audio-in.ts';
import { float32ToPcm16Bytes } from '../../server/src/codec/audio.ts';
import { GatewayError } from '../../server/src/errors.ts';

describe('frame rate limiter', () => {
  it('allows the limit per one-second window, flags the first excess, and calls twice the limit abusive', () => {
    const l = new FrameRateLimiter(3);
    const verdicts = Array.from({ length: 7 }, () => l.hit(100));
    expect(verdicts).toEqual(['ok', 'ok', 'ok', 'limited-first', 'limited', 'limited', 'abusive']);
    expect(l.hit(1100)).toBe('ok'); // a new window
  });
});

describe('audio rate budget', () => {
  it('allows a burst, then no more than the speed-up over real time', () => {
    const b = new AudioRateBudget(1000, 1.5);
    expect(b.take(1000, 0)).toBe(true); // the whole burst at once
    expect(b.take(20, 0)).toBe(false);
    expect(b.take(30, 20)).toBe(true); // 20 ms later: 30 ms of audio earned
    expect(b.take(1, 20)).toBe(false);
    // Real-time streaming never runs dry.
    const rt = new AudioRateBudget(100, 1.5);
    for (let t = 0; t < 10_000; t += 20) expect(rt.take(20, t)).toBe(true);
  });
});

describe('send buffer guard', () => {
  it('drops audio above the cap, disconnects after the grace or at twice the cap', () => {
    const g = new SendBufferGuard(1000, 500);
    expect(g.check(1000, 0)).toBe('ok');
    expect(g.check(1001, 0)).toBe('drop-audio');
    expect(g.check(1500, 499)).toBe('drop-audio');
    expect(g.check(1500, 500)).toBe('disconnect');
    const h = new SendBufferGuard(1000, 500);
    expect(h.check(1500, 0)).toBe('drop-audio');
    expect(h.check(900, 100)).toBe('ok'); // drained: the grace starts over
    expect(h.check(1500, 550)).toBe('drop-audio');
    expect(h.check(2001, 551)).toBe('disconnect');
    expect(h.peakBytes).toBe(2001);
  });
});

describe('audio paths', () => {
  it('turns 16 kHz engine audio into whole 20 ms Opus frames at 48 kHz, flushing the tail at the end', () => {
    const out = new OutputAudio({ codec: 'opus', sampleRateHz: 48000, frameMs: 20 });
    const pcm = Float32Array.from({ length: 1600 }, (_, i) => 0.3 * Math.sin(i / 4)); // 100 ms
    const frames = [...out.push(pcm, 16000), ...out.end()];
    expect(frames.length).toBeGreaterThanOrEqual(5);
    expect(frames.length).toBeLessThanOrEqual(6);
    for (const f of frames) expect(f.byteLength).toBeGreaterThan(0);
  });

  it('turns pcm16 at 48 kHz into 16 kHz float32 for the engine, and rejects odd lengths', () => {
    const input = createInputAudio({ codec: 'pcm16', sampleRateHz: 48000 });
    const out = input.decode(float32ToPcm16Bytes(new Float32Array(960)));
    expect(out.length).toBe(320);
    expect(() => input.decode(new Uint8Array(3))).toThrow(GatewayError);
  });
});
