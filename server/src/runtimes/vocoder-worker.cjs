// The vocoder's worker thread (see vocoder-thread.ts): one onnxruntime session of its own, runs one request
// at a time and answers with the raw outputs and the run's time; the main thread validates them and learns the
// cost. Plain CommonJS so the worker needs no TypeScript loader.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const ort = require('onnxruntime-node');

/** Sizes of the start-up calls that seed the cost model (vocoder.ts owns them). */
const [SEED_SMALL_UNITS, SEED_LARGE_UNITS] = workerData.seedUnits;

function units(n) {
  return BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 37) % workerData.unitCount));
}

async function timedRun(session, n) {
  const ids = units(n);
  const t0 = performance.now();
  await session.run({ units: new ort.Tensor('int64', ids, [1, n]) });
  return performance.now() - t0;
}

const ready = ort.InferenceSession.create(workerData.path, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' })
  .then(async (session) => {
    // One throwaway run: a session's first run allocates and is several times slower, and here it would
    // be an answer's second chunk, due before its first has played out. Then two timed runs seed the cost model.
    await timedRun(session, SEED_SMALL_UNITS);
    const smallMs = await timedRun(session, SEED_SMALL_UNITS);
    const largeMs = await timedRun(session, SEED_LARGE_UNITS);
    return { session, seed: [SEED_SMALL_UNITS, smallMs, SEED_LARGE_UNITS, largeMs] };
  });
ready.then(
  ({ seed }) => parentPort.postMessage({ ready: true, seed }),
  (err) => parentPort.postMessage({ ready: false, error: String((err && err.message) || err) }),
);

parentPort.on('message', async ({ id, ids }) => {
  try {
    const { session } = await ready;
    const t0 = performance.now();
    const out = await session.run({ units: new ort.Tensor('int64', ids, [1, ids.length]) });
    const runMs = performance.now() - t0;
    const audio = out.audio && out.audio.data;
    const durations = out.durations && out.durations.data;
    const transfer = audio instanceof Float32Array ? [audio.buffer] : [];
    parentPort.postMessage({ id, audio, durations, runMs }, transfer);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
