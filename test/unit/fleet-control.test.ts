// The fleet's control messages come from Redis, where anything can publish: only well-formed ones are acted on.
import { expect, it } from 'vitest';
import { parseControl } from '../../server/src/fleet/control.ts';

it('reads end and drain messages', () => {
  expect(parseControl('{"type":"end","callId":"c1"}')).toEqual({ type: 'end', callId: 'c1', drain: false });
  expect(parseControl('{"type":"end","callId":"c1","drain":true}')).toEqual({ type: 'end', callId: 'c1', drain: true });
});

it('ignores anything else', () => {
  for (const raw of ['', 'not json', 'null', '42', '[]', '{"type":"end"}', '{"type":"end","callId":""}', '{"type":"end","callId":7}', '{"type":"reboot","callId":"c1"}']) {
    expect(parseControl(raw), raw).toBeUndefined();
  }
});
