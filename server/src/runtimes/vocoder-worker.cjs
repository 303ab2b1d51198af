// The vocoder's worker thread (see vocoder-thread.ts): one onnxruntime session of its own, runs one request
// at a time and answers with the raw outputs; the main thread validates them. Plain CommonJS so the worker
// needs no TypeScript loader.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');

const ready = ort.InferenceSession.create(workerData.path, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
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
