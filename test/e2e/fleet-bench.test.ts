// CI's shortened fleet run: `bench/fleet.ts --quick` — redis-server, three `voxgate serve --redis` nodes on the real
// model and nginx (deploy/nginx), all real processes on 127.0.0.1 — its JSON held to what the full run must show.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { hasNginx } from '../../server/src/loadtest/fleet/nginx-child.ts';
import { hasRedisServer } from '../../server/src/loadtest/fleet/redis-child.ts';
import { describeIf } from '../helpers/requires.ts';
import { MODEL_DIR } from '../integration/engine-model.ts';

const run = promisify(execFile);
const MODEL_FILES = ['manifest.json', 'units.onnx', 'lm.gguf', 'vocoder.onnx'].every((f) => existsSync(`${MODEL_DIR}/${f}`));

type Figures = Record<string, Record<string, number | string | boolean>> & { crashes: number };

describeIf(MODEL_FILES && hasRedisServer() && hasNginx(), `the model in ${MODEL_DIR}, redis-server and nginx (Debian packages)`)('fleet bench, shortened (real processes)', () => {
  it('holds the fleet cap under a burst, carries a WebRTC call, loses turns only on the killed node, frees its lease, drains the other', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/fleet.ts', '--quick', '--model', MODEL_DIR], { timeout: 150_000, maxBuffer: 1 << 24 });
    const f = JSON.parse(stdout.trim().split('\n').at(-1)!) as Figures;
    expect(f.crashes).toBe(0);
    expect(f['slots']).toMatchObject({ oneNode: 4, threeNodes: 10 });
    expect(f['burst']).toMatchObject({ admitted: 10, overshoot: 0, maxRegistrySeen: 10, localClaims: 0 });
    // WebRTC: the offer through nginx, the media straight to the node, the hang-up sent to another node passed on.
    const webrtc = f['webrtc']!;
    expect(webrtc).toMatchObject({ answer: 'tuesday', hangUpStatus: 200, closeCode: 1000 });
    expect(Number(webrtc['audioFrames'])).toBeGreaterThan(10);
    expect(webrtc['hangUpSentTo']).not.toBe(webrtc['heldBy']);
    expect(f['load']!['sessionsUnattributed']).toBe(0);
    expect(Number(f['load']!['turnsAnsweredRight'])).toBeGreaterThan(0);
    const kill = f['kill']!;
    expect(kill).toMatchObject({ lostTurnsElsewhere: 0, callsAfterKillOnKilledNode: 0 });
    expect(Number(kill['lostTurnsOnKilledNode'])).toBeLessThanOrEqual(Number(kill['callsRegisteredAtKill']));
    expect(Number(kill['callsAfterKillOnOthers'])).toBeGreaterThan(0);
    expect(Number(kill['leaseExpiryMs'])).toBeLessThanOrEqual(Number(kill['leaseBoundMs']) + 1_000);
    const drain = f['drain']!;
    expect(Number(drain['answersPlaying'])).toBeGreaterThan(0);
    expect(drain['answersFinished']).toBe(drain['answersPlaying']);
    expect(drain).toMatchObject({ turnsLostOnDrainedNode: 0, exitCode: 0, leftRegistry: true });
    expect(Number(drain['drainMs'])).toBeLessThanOrEqual(Number(drain['drainBoundMs']) + 2_000);
  }, 180_000);
});
