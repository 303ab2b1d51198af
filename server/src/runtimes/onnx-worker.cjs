// The worker side of onnx-thread.ts: one onnxruntime session of its own, one run at a time. It answers each
// request with the raw outputs and the run's time; the main thread checks them against the model's contract.
// Plain CommonJS so the worker needs no TypeScript loader.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const ort = require('onnxruntime-node');

/** { name: { data, dims } } → onnxruntime feeds; the data's own type (Float32Array, BigInt64Array) names the tensor's. */
function toFeeds(wire) {
  const feeds = {};
  for (const [name, t] of Object.entries(wire)) {
    const type = t.data instanceof BigInt64Array ? 'int64' : 'float32';
    feeds[name] = new ort.Tensor(type, t.data, t.dims);
  }
  return feeds;
}

async function timedRun(session, wire) {
  const t0 = performance.now();
  const out = await session.run(toFeeds(wire));
  const runMs = performance.now() - t0;
  const outputs = {};
  const transfer = [];
  for (const [name, t] of Object.entries(out)) {
    outputs[name] = { data: t.data, dims: t.dims };
    if (ArrayBuffer.isView(t.data)) transfer.push(t.data.buffer);
  }
  return { outputs, runMs, transfer };
}

// Warm-up runs first (a session's first run allocates and is several times slower): their times go back with
// `ready`, so the main thread can seed what it learns of this machine's speed.
const ready = ort.InferenceSession.create(workerData.path, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' })
  .then(async (session) => {
    const seedMs = [];
    for (const wire of workerData.seeds) seedMs.push((await timedRun(session, wire)).runMs);
    return { session, seedMs };
  });
ready.then(
  ({ seedMs }) => parentPort.postMessage({ ready: true, seedMs }),
  (err) => parentPort.postMessage({ ready: false, error: String((err && err.message) || err) }),
);

parentPort.on('message', async ({ id, feeds }) => {
  try {
    const { session } = await ready;
    const { outputs, runMs, transfer } = await timedRun(session, feeds);
    parentPort.postMessage({ id, outputs, runMs }, transfer);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
