// Config: defaults, precedence (flag > env > default), and validation that names every bad value.
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA, ConfigError, configHelp, defaultConfig, loadConfig, makeConfig } from '../../server/src/config.ts';
import { DEFAULT_MODEL_DIR } from '../../server/src/runtimes/manifest.ts';

describe('config', () => {
  it('has documented defaults: loopback on 8080 with the bundled model', () => {
    const c = loadConfig({}, {});
    expect(c).toEqual(defaultConfig());
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, modelDir: DEFAULT_MODEL_DIR, maxSessions: 16, vad: true, authToken: undefined });
  });

  it('reads PORT and VOXGATE_* from the environment, and flags win over both', () => {
    const env = { PORT: '9000', VOXGATE_MAX_SESSIONS: '4', VOXGATE_VAD: 'false', VOXGATE_HOST: '0.0.0.0' };
    expect(loadConfig({}, env)).toMatchObject({ port: 9000, maxSessions: 4, vad: false, host: '0.0.0.0' });
    expect(loadConfig({ port: '9100', 'max-sessions': '8' }, env)).toMatchObject({ port: 9100, maxSessions: 8 });
  });

  it('treats an empty environment variable as unset', () => {
    expect(loadConfig({}, { PORT: '' }).port).toBe(8080);
  });

  it('lists every bad value at once, naming the flag or variable, and never echoes the token', () => {
    let err: unknown;
    try {
      loadConfig({ port: '70000', 'max-sessions': 'many', 'auth-token': 'short' }, { VOXGATE_OUTPUT_LEAD_MS: '-5', VOXGATE_LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/--port: must be an integer in \[0, 65535\], got "70000"/);
    expect(problems.join('\n')).toContain('VOXGATE_OUTPUT_LEAD_MS');
    expect(problems.join('\n')).not.toContain('short');
  });

  it('validates programmatic configs with the same bounds', () => {
    expect(makeConfig({ port: 0, maxSessions: 2 })).toMatchObject({ port: 0, maxSessions: 2 });
    expect(() => makeConfig({ maxSessions: 0 })).toThrow(ConfigError);
    expect(() => makeConfig({ maxMessageBytes: 1.5 })).toThrow(/maxMessageBytes/);
  });

  it('documents every setting in the help text', () => {
    const help = configHelp();
    for (const spec of Object.values(CONFIG_SCHEMA)) {
      expect(help).toContain(`--${spec.flag}`);
      expect(help).toContain(spec.env);
    }
  });

  it('cluster mode is off by default; a bad Redis URL is refused without echoing it (it may hold a password)', () => {
    expect(loadConfig({}, {})).toMatchObject({ redisUrl: undefined, fleetMaxCalls: 0, trustedProxies: undefined });
    expect(loadConfig({ redis: 'redis://:pw@10.0.0.5:6379' }, { VOXGATE_TRUSTED_PROXIES: '10.0.0.10, 10.0.0.11' })).toMatchObject({
      redisUrl: 'redis://:pw@10.0.0.5:6379',
      trustedProxies: ['10.0.0.10', '10.0.0.11'],
    });
    expect(() => loadConfig({}, { VOXGATE_REDIS_URL: 'http://:secretpw@host' })).toThrow(/VOXGATE_REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL, got "\(hidden\)"/);
    expect(() => loadConfig({ 'node-id': 'has space' }, {})).toThrow(/--node-id/);
  });
});
