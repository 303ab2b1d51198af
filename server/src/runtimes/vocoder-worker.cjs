// The vocoder's worker thread (see vocoder-thread.ts): one onnxruntime session of its own, runs one request
// at a time and answers with the raw outputs; the main thread validates them. Plain CommonJS so the worker
// needs no TypeScript loader.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');

const ready = ort.InferenceSession.create(workerData.path, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' })
  .then(async (session) => {
    // One throwaway run: a session's first run allocates and is several times slower, and here it would
    // be an answer's second chunk, due before its first has played out.
    const warm = BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i % 2));
    await session.run({ units: new ort.Tensor('int64', warm, [1, warm.length]) });
    return session;
  });
ready.then(
  () => parentPort.postMessage({ ready: true }),
  (err) => parentPort.postMessage({ ready: false, error: String((err && err.message) || err) }),
);

parentPort.on('message', async ({ id, ids }) => {
  try {
    const session = await ready;
    const out = await session.run({ units: new ort.Tensor('int64', ids, [1, ids.length]) });
    const audio = out.audio && out.audio.data;
    const durations = out.durations && out.durations.data;
    const transfer = audio instanceof Float32Array ? [audio.buffer] : [];
    parentPort.postMessage({ id, audio, durations }, transfer);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
