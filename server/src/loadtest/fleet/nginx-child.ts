// Debian's nginx as a child process in front of gateway nodes, with the operator's own files from deploy/nginx
// (voxgate-http.conf and voxgate-locations.conf): only the upstream list, the listen port and the scratch paths
// are written here, so the test exercises the configuration an operator deploys. 127.0.0.1 only.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from './processes.ts';

export const NGINX = '/usr/sbin/nginx';
const DEPLOY_DIR = fileURLToPath(new URL('../../../../deploy/nginx/', import.meta.url));

export interface NginxChild {
  readonly port: number;
  /** ws://127.0.0.1:port */
  readonly wsBase: string;
  readonly httpBase: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export function hasNginx(): boolean {
  return existsSync(NGINX);
}

/** nodes: the gateway nodes' ports on 127.0.0.1, in upstream order. */
export async function startNginx(nodePorts: readonly number[]): Promise<NginxChild> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'voxgate-nginx-'));
  const servers = nodePorts.map((p) => `        server 127.0.0.1:${p} max_fails=0;`).join('\n');
  const conf = `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${DEPLOY_DIR}voxgate-http.conf;
    upstream voxgate {
        least_conn;
${servers}
        keepalive 32;
    }
    server {
        listen 127.0.0.1:${port};
        include ${DEPLOY_DIR}voxgate-locations.conf;
    }
}
`;
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const child = spawn(NGINX, ['-c', confPath, '-p', dir, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const httpBase = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${httpBase}/healthz`).catch(() => undefined))?.status === 200, 10_000, 'nginx did not come up');
  return {
    port,
    wsBase: `ws://127.0.0.1:${port}`,
    httpBase,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
