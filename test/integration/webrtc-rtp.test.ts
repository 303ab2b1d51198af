// The pure cores of the WebRTC path: RTP numbering of paced Opus (gaps, wrap-around), the receiver's
// duplicate filter, and session.start's media formats forced to the transport's.
import { describe, expect, it } from 'vitest';
import { RtpOpusClock, RtpSequenceFilter } from '../../client-sdk/src/transports/webrtc-rtp.ts';
import { withWebRtcMedia, sessionStartFromOptions } from '../../server/src/transport/webrtc-session-start.ts';

describe('RtpOpusClock', () => {
  it('numbers a paced talkspurt 960 ticks apart, marker on the first packet only', () => {
    const clock = new RtpOpusClock({ frameMs: 20, initialSequenceNumber: 65534, initialTimestamp: 0xffff_fc00 });
    // The first 150 ms leave at once (the output lead), the rest every 20 ms.
    const sendTimes = [0, 0, 0, 0, 0, 0, 0, 0, 20, 40, 60];
    const stamps = sendTimes.map((t) => clock.next(1000 + t));
    expect(stamps.map((s) => s.marker)).toEqual([true, ...Array(10).fill(false)]);
    expect(stamps.map((s) => s.sequenceNumber).slice(0, 4)).toEqual([65534, 65535, 0, 1]);
    for (let i = 1; i < stamps.length; i++) expect((stamps[i]!.timestamp - stamps[i - 1]!.timestamp) >>> 0).toBe(960);
  });

  it('jumps the timestamp by the silence between answers and marks the new talkspurt', () => {
    const clock = new RtpOpusClock({ frameMs: 20, initialSequenceNumber: 0, initialTimestamp: 0 });
    for (let i = 0; i < 5; i++) clock.next(i * 20); // 100 ms of audio
    const next = clock.next(2_100); // 2 s of silence later
    expect(next.marker).toBe(true);
    expect(next.sequenceNumber).toBe(5); // no packets were lost
    expect(next.timestamp).toBe((2_100 / 20) * 960);
  });

  it('never moves the timestamp backwards when a burst is followed by a short stall', () => {
    const clock = new RtpOpusClock({ frameMs: 20, initialSequenceNumber: 0, initialTimestamp: 0 });
    for (let i = 0; i < 10; i++) clock.next(0); // 200 ms sent at once
    const late = clock.next(300); // due at 200 ms, 100 ms late
    expect(late.marker).toBe(true);
    expect(late.timestamp).toBeGreaterThanOrEqual(10 * 960);
  });
});

describe('RtpSequenceFilter', () => {
  it('drops duplicates and late packets across the 16-bit wrap', () => {
    const f = new RtpSequenceFilter();
    expect([65534, 65535, 65535, 0, 65533, 1, 3, 2].map((s) => f.accept(s))).toEqual([true, true, false, true, false, true, true, false]);
  });
});

describe('session.start over WebRTC', () => {
  it('replaces the media formats and keeps the rest', () => {
    const start = { type: 'session.start', mode: 'speech-to-text', input: { codec: 'pcm16', sampleRateHz: 16000 }, output: { codec: 'pcm16', sampleRateHz: 48000 }, vad: false } as const;
    expect(withWebRtcMedia(start)).toEqual({ type: 'session.start', mode: 'speech-to-text', input: { codec: 'opus', sampleRateHz: 48000 }, output: { codec: 'opus', sampleRateHz: 48000 }, vad: false });
    expect(withWebRtcMedia({ ...start, output: { codec: 'pcm16' } }).output).toEqual({ codec: 'opus', sampleRateHz: 16000 });
  });

  it('builds and checks a session.start from POST options', () => {
    const ok = sessionStartFromOptions({ mode: 'text-to-speech', vad: false });
    expect(ok.ok && ok.start).toMatchObject({ type: 'session.start', version: 1, mode: 'text-to-speech', vad: false, output: { codec: 'opus', sampleRateHz: 16000 } });
    const bad = sessionStartFromOptions({ mode: 'whisper' });
    expect(!bad.ok && bad.error.code).toBe('BAD_REQUEST');
  });
});
