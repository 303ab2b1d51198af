// X-Forwarded-For is believed only from the proxies the operator names, read from the nearest hop.
import type { IncomingMessage } from 'node:http';
import { expect, it } from 'vitest';
import { callerAddress } from '../../server/src/http/caller-address.ts';

const req = (peer: string, xff?: string): IncomingMessage =>
  ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

it('uses the peer when no proxy is trusted, whatever the header says', () => {
  expect(callerAddress(req('203.0.113.9', '10.9.9.9'), undefined)).toBe('203.0.113.9');
  expect(callerAddress(req('203.0.113.9', '10.9.9.9'), ['127.0.0.1'])).toBe('203.0.113.9');
});

it('takes the nearest untrusted hop behind trusted proxies', () => {
  expect(callerAddress(req('::ffff:127.0.0.1', '198.51.100.7'), ['127.0.0.1'])).toBe('198.51.100.7');
  // A client that forges a first hop cannot choose its address: the proxy appended the real one.
  expect(callerAddress(req('127.0.0.1', '1.2.3.4, 198.51.100.7'), ['127.0.0.1'])).toBe('198.51.100.7');
  expect(callerAddress(req('127.0.0.1', '198.51.100.7, 10.0.0.2'), ['127.0.0.1', '10.0.0.2'])).toBe('198.51.100.7');
  expect(callerAddress(req('127.0.0.1'), ['127.0.0.1'])).toBe('127.0.0.1');
});
