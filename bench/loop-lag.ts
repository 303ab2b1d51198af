// How late the event loop runs timer callbacks while a bench drives load: an interval timer of `tickMs`, each tick's
// lateness against when it was due. One probe for the benches that compare inline and worker-thread ONNX runs.

export interface LagProbe {
  /** Stops the timer; the lateness of every tick, ms. */
  stop(): number[];
}

export function startLagProbe(tickMs: number): LagProbe {
  const lags: number[] = [];
  let expected = performance.now() + tickMs;
  const ticker = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - expected));
    expected = now + tickMs;
  }, tickMs);
  return {
    stop: () => {
      clearInterval(ticker);
      return lags;
    },
  };
}
