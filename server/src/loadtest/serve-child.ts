// `voxgate serve` as a child process, as an operator runs it (fault runs, end-to-end tests): started on 127.0.0.1
// and a free port, its URLs read from its `listening` log line, ready once the model has loaded; an error logged
// before that fails the start. Stopped by a signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/voxgate.js', import.meta.url));

export interface ServeChild {
  readonly process: ChildProcess;
  readonly voiceUrl: string;
  readonly phoneUrl: string;
  readonly realtimeUrl: string;
  readonly webrtcUrl: string;
  readonly httpUrl: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Log records the child printed, in order. */
  readonly logs: Record<string, unknown>[];
}

export function startServeChild(args: readonly string[], env: NodeJS.ProcessEnv = process.env, readyTimeoutMs = 180_000): Promise<ServeChild> {
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let urls: Record<string, unknown> | undefined;
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('voxgate serve: not ready in time')), readyTimeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        logs.push(rec);
        if (rec['msg'] === 'listening') urls = rec;
        if (rec['msg'] === 'ready' && urls !== undefined) {
          clearTimeout(timer);
          const u = urls;
          resolve({
            process: child,
            voiceUrl: String(u['url']),
            phoneUrl: String(u['phone']),
            realtimeUrl: String(u['realtime']),
            webrtcUrl: String(u['webrtc']),
            httpUrl: String(u['health']).replace(/\/healthz$/, ''),
            exited,
            logs,
          });
        }
        if (rec['level'] === 'error' && urls !== undefined) reject(new Error(`voxgate serve: ${line}`));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`voxgate serve exited with ${code} before it was ready`));
    });
  });
}
