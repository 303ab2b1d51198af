// WebRTC settings: ICE servers, extra host addresses, the UDP port range and negotiation bounds. Read from the
// environment until they join the main config schema; every value is checked and a bad one is a ConfigError.
import { ConfigError } from '../config.ts';

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface WebRtcConfig {
  /** STUN/TURN servers. None by default: werift's own default is a public STUN host we must not depend on. */
  iceServers: IceServer[];
  /** Host candidates beyond the interfaces werift finds: loopback, so a browser on the same machine connects. */
  iceAdditionalHostAddresses: string[];
  /** UDP ports for ICE, inclusive (firewalls); undefined lets the OS pick. */
  icePortRange: [number, number] | undefined;
  /** Longest wait for our own ICE candidates before the answer goes out (non-trickle, as WHIP). */
  gatherTimeoutMs: number;
  /** Time from the answer to an open data channel; past it the call ends as TRANSPORT_FAILED. */
  connectTimeoutMs: number;
  /** ICE 'disconnected' for this long ends the call (it may recover before). */
  disconnectedGraceMs: number;
}

export const WEBRTC_ENV = {
  iceServers: 'VOXGATE_ICE_SERVERS',
  iceAdditionalHostAddresses: 'VOXGATE_ICE_HOST_ADDRESSES',
  icePortRange: 'VOXGATE_ICE_PORT_RANGE',
} as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export function defaultWebRtcConfig(listenHost = '127.0.0.1'): WebRtcConfig {
  return {
    iceServers: [],
    iceAdditionalHostAddresses: LOOPBACK_HOSTS.has(listenHost) || listenHost === '0.0.0.0' ? ['127.0.0.1'] : [],
    icePortRange: undefined,
    gatherTimeoutMs: 2_000,
    connectTimeoutMs: 10_000,
    disconnectedGraceMs: 5_000,
  };
}

/**
 * VOXGATE_ICE_SERVERS: JSON array of {urls, username?, credential?}; VOXGATE_ICE_HOST_ADDRESSES: comma-separated
 * addresses; VOXGATE_ICE_PORT_RANGE: "MIN-MAX".
 */
export function loadWebRtcConfig(env: NodeJS.ProcessEnv, listenHost?: string): WebRtcConfig {
  const config = defaultWebRtcConfig(listenHost);
  const problems: string[] = [];
  const servers = env[WEBRTC_ENV.iceServers];
  if (servers !== undefined && servers !== '') {
    const parsed = parseIceServers(servers);
    if (parsed === undefined) problems.push(`${WEBRTC_ENV.iceServers}: must be a JSON array of {"urls": "stun:..." | [...], "username"?, "credential"?}`);
    else config.iceServers = parsed;
  }
  const hosts = env[WEBRTC_ENV.iceAdditionalHostAddresses];
  if (hosts !== undefined && hosts !== '') config.iceAdditionalHostAddresses = hosts.split(',').map((h) => h.trim()).filter((h) => h !== '');
  const range = env[WEBRTC_ENV.icePortRange];
  if (range !== undefined && range !== '') {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(range.trim());
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2]);
    // werift refuses a range whose ends are equal.
    if (m === null || lo < 1024 || hi > 65535 || lo >= hi) problems.push(`${WEBRTC_ENV.icePortRange}: must be MIN-MAX with 1024 <= MIN < MAX <= 65535`);
    else config.icePortRange = [lo, hi];
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function parseIceServers(raw: string): IceServer[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const out: IceServer[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { urls, username, credential } = item as Record<string, unknown>;
    const urlsOk = typeof urls === 'string' || (Array.isArray(urls) && urls.every((u) => typeof u === 'string'));
    if (!urlsOk || (username !== undefined && typeof username !== 'string') || (credential !== undefined && typeof credential !== 'string')) return undefined;
    out.push({ urls: urls as string | string[], ...(username === undefined ? {} : { username }), ...(credential === undefined ? {} : { credential }) });
  }
  return out;
}
