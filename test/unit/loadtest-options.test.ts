import { describe, expect, it } from 'vitest';
import { UsageError } from '../../server/src/cli/args.ts';
import { parseLoadtestArgs } from '../../server/src/loadtest/options.ts';
import { DEFAULT_UTTERANCES_DIR } from '../../server/src/loadtest/utterances.ts';

describe('voxgate loadtest flags', () => {
  it('has defaults for a short run against the local gateway', () => {
    const o = parseLoadtestArgs([]);
    expect(o).toMatchObject({
      url: 'ws://127.0.0.1:8080/v1/voice',
      callers: 4,
      rampPerSecond: 2,
      durationS: 0,
      turns: 2,
      transport: 'ws',
      codec: 'opus',
      bargeInShare: 0.1,
      json: false,
      utterancesDir: DEFAULT_UTTERANCES_DIR,
    });
  });

  it('takes every flag', () => {
    const o = parseLoadtestArgs(
      ['--url', 'ws://127.0.0.1:9/v1/voice', '--callers', '16', '--ramp', '0.5', '--duration', '60', '--transport', 'mixed', '--turns', '3',
        '--utterances', '/u', '--only', '05-arithmetic, greeting', '--barge-in-share', '0.25', '--json', '--report', '/r', '--codec', 'pcm16', '--seed', '7'],
      { VOXGATE_AUTH_TOKEN: 'a-token-of-sixteen-chars' },
    );
    expect(o).toMatchObject({
      callers: 16, rampPerSecond: 0.5, durationS: 60, transport: 'mixed', turns: 3, utterancesDir: '/u',
      only: ['05-arithmetic', 'greeting'], bargeInShare: 0.25, json: true, reportDir: '/r', codec: 'pcm16', seed: 7, token: 'a-token-of-sixteen-chars',
    });
  });

  it.each([
    [['--callers', '0'], /--callers/],
    [['--callers', '100000'], /at most/],
    [['--ramp', '0'], /--ramp/],
    [['--transport', 'sip'], /ws, webrtc, mixed, realtime or twilio/],
    [['--barge-in-share', '1.5'], /\[0, 1\]/],
    [['--url', 'http://x'], /ws:\/\//],
    [['--codec', 'mp3'], /opus or pcm16/],
    [['--duration', '-1'], /--duration/],
    [['--bogus'], /bogus/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseLoadtestArgs(argv)).toThrow(UsageError);
    expect(() => parseLoadtestArgs(argv)).toThrow(message);
  });

  it('answers --help', () => {
    expect(parseLoadtestArgs(['--help'])).toBe('help');
  });
});
