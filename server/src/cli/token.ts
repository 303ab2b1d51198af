// voxgate token --secret S --ttl 1h [--sub NAME] [--max-sessions N]: prints one signed token for a gateway
// started with --auth-secret S (or VOXGATE_AUTH_SECRET). The secret may come from that variable too, so it
// need not show in the process list.
import { mintToken, MIN_SECRET_LENGTH } from '../auth/signed-token.ts';
import { intFlag, parseFlags, UsageError } from './args.ts';

const FLAGS = {
  secret: { type: 'string' },
  ttl: { type: 'string' },
  sub: { type: 'string' },
  'max-sessions': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `usage: voxgate token [--secret S] --ttl 1h [--sub NAME] [--max-sessions N]

  --secret S          the gateway's --auth-secret (default: VOXGATE_AUTH_SECRET), at least ${MIN_SECRET_LENGTH} characters
  --ttl T             lifetime: 90s, 30m, 1h, 7d or plain seconds
  --sub NAME          who the token is for (per-token session caps count by it; default anonymous)
  --max-sessions N    sessions this token may hold at once`;

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "90s", "30m", "1h", "7d" or "600" → seconds. */
export function parseTtlS(raw: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(raw.trim());
  const n = m === null ? NaN : Number(m[1]) * (UNIT_S[m[2] || 's'] ?? NaN);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--ttl must be like 90s, 30m, 1h or 7d, got "${raw}"`);
  return n;
}

export async function runToken(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  if (values.help === true) {
    console.log(HELP);
    return 0;
  }
  const secret = values.secret ?? process.env['VOXGATE_AUTH_SECRET'];
  if (secret === undefined || secret.length < MIN_SECRET_LENGTH) throw new UsageError(`--secret (or VOXGATE_AUTH_SECRET) of at least ${MIN_SECRET_LENGTH} characters is required`);
  if (values.ttl === undefined) throw new UsageError('--ttl is required (e.g. --ttl 1h)');
  const maxSessions = values['max-sessions'] === undefined ? undefined : intFlag('max-sessions', values['max-sessions'], 0, 1);
  const token = mintToken({
    secret,
    ttlS: parseTtlS(values.ttl),
    ...(values.sub === undefined ? {} : { sub: values.sub }),
    ...(maxSessions === undefined ? {} : { maxSessions }),
  });
  console.log(token);
  return 0;
}
