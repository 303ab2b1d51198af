// CI's shortened fault run: `bench/faults.ts --quick` against `voxgate serve` on the real model (10,000 malformed
// messages on every endpoint with real callers talking, 40 hang-ups mid-answer, SIGTERM with answers playing),
// its JSON held to what the full run must show.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeIf } from '../helpers/requires.ts';
import { MODEL_DIR } from '../integration/engine-model.ts';

const run = promisify(execFile);
const MODEL_FILES = ['manifest.json', 'units.onnx', 'lm.gguf', 'vocoder.onnx'].every((f) => existsSync(`${MODEL_DIR}/${f}`));

describeIf(MODEL_FILES, `the model in ${MODEL_DIR}`)('fault bench, shortened (real model)', () => {
  it('keeps the gateway up, answers identical, slots and sequences freed, and drains on SIGTERM', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/faults.ts', '--quick', '--model', MODEL_DIR], { timeout: 240_000, maxBuffer: 1 << 24 });
    const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, Record<string, unknown>> & { crashes: number };
    expect(figures.crashes).toBe(0);
    expect(figures['storm']).toMatchObject({ gatewayUp: true, answersIdentical: true, mismatches: 0 });
    expect(figures['storm']!['framesFuzzed']).toBeGreaterThanOrEqual(10_000);
    expect(figures['hangups']).toMatchObject({ refusedForHeldSlot: 0, sequencesBack: true, answerAfterIdentical: true });
    expect(figures['hangups']!['rssChangePercent']).toBeLessThan(10);
    expect(figures['drain']).toMatchObject({ answersFinished: 2, newCallRefusedWith: 'SHUTTING_DOWN', exitCode: 0 });
    expect(figures['drain']!['drainMs']).toBeLessThanOrEqual(Number(figures['drain']!['drainBoundMs']) + 2_000);
  }, 300_000);
});
