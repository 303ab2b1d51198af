// What the SDK makes of an HTTP refusal (a WebRTC offer or a WebSocket upgrade): the gateway's body names the
// code; anything else is named by its status.
import { describe, expect, it } from 'vitest';
import { refusalFromHttp } from '../../client-sdk/src/transports/http-refusal.ts';

describe('refusalFromHttp', () => {
  it('takes the code, message and retry advice from the gateway body, the header when the body has none', () => {
    expect(refusalFromHttp(503, JSON.stringify({ error: 'all 4 sessions are in use', code: 'SERVER_FULL', retryAfterMs: 1500 }), '2')).toEqual({
      code: 'SERVER_FULL',
      message: 'all 4 sessions are in use',
      retryAfterMs: 1500,
    });
    expect(refusalFromHttp(503, JSON.stringify({ error: 'shutting down', code: 'SHUTTING_DOWN' }), '2')).toEqual({
      code: 'SHUTTING_DOWN',
      message: 'shutting down',
      retryAfterMs: 2000,
    });
    expect(refusalFromHttp(401, JSON.stringify({ error: 'bad token', code: 'UNAUTHORIZED' }))).toEqual({ code: 'UNAUTHORIZED', message: 'bad token' });
  });

  it('names a refusal without our body by its status, and ignores a code it does not know', () => {
    expect(refusalFromHttp(503, '<html>busy</html>').code).toBe('SHUTTING_DOWN');
    expect(refusalFromHttp(502, '').code).toBe('INTERNAL');
    expect(refusalFromHttp(403, '').code).toBe('UNAUTHORIZED');
    expect(refusalFromHttp(404, 'not found')).toEqual({ code: 'TRANSPORT_FAILED', message: 'HTTP 404: not found' });
    expect(refusalFromHttp(400, JSON.stringify({ error: 'x', code: 'NO_SUCH_CODE' })).code).toBe('BAD_REQUEST');
    expect(refusalFromHttp(503, '', 'soon').retryAfterMs).toBeUndefined();
  });
});
