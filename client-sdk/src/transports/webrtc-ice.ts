// ICE gathering for werift peers, shared by the Node SDK transport and the gateway: both send their SDP once,
// with every candidate in it (no trickle), so both wait for gathering to end.
import type { RTCPeerConnection } from 'werift';

/** Waits for our host candidates (loopback and local interfaces take milliseconds; STUN may take longer). */
export function gatheringComplete(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done(): void {
      clearTimeout(timer);
      sub.unSubscribe();
      resolve();
    }
  });
}
