// Structured logs through pino: one JSON object per line on stderr (stdout stays free for command output), level
// as a word, a child logger per call carrying its call id and transport. Secrets are redacted wherever they sit
// in a record; what callers said and heard is logged only when the operator opts in (--log-transcripts).
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import type { LogLevel } from '../config.ts';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose every record carries `fields` (a call's id and transport). */
  child(fields: LogFields): Logger;
}

/** Record fields that may hold a secret, at the top level or one level down. */
const SECRET_KEYS = ['token', 'authToken', 'authSecret', 'secret', 'authorization', 'password'];
export const REDACTED_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`]);

/** destination: where lines go (stderr by default; tests pass a stream). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const p = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
  return wrap(p);
}

function wrap(p: Pino): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (fields) => wrap(p.child(fields)),
  };
}

export const silentLogger: Logger = createLogger('silent');
