// One WebRTC call through the balancer: the offer goes through nginx, the media straight to the node that
// answered (its own ICE candidates), and the hang-up (DELETE /v1/webrtc/{id}) is sent to another node than the
// call's, as a balancer may: that node passes it on through the fleet's control channel.
import { connectWebRtc } from '../../../../client-sdk/src/transports/webrtc-node.ts';
import { readFleet } from '../../fleet/fleet-view.ts';
import type { RunningFleet } from './fleet-run.ts';
import { waitFor } from './processes.ts';

export interface WebRtcFigures {
  answer: string | undefined;
  audioFrames: number;
  heldBy: string | undefined;
  hangUpSentTo: string | undefined;
  hangUpStatus: number;
  closeCode: number | undefined;
}

export async function webrtcThroughNginx(fleet: RunningFleet, question: string): Promise<WebRtcFigures> {
  const client = await connectWebRtc({ url: `${fleet.nginx.httpBase}/v1/webrtc`, mode: 'text-to-speech' });
  let audioFrames = 0;
  let answer: string | undefined;
  client.on('audio', () => audioFrames++);
  client.on('answer.final', (ev) => (answer = ev.text));
  const done = new Promise<void>((resolve) => {
    client.on('turn.done', () => resolve());
    client.on('error', () => resolve());
  });
  client.sendText(question, 'text-to-speech');
  await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
  const call = (await readFleet(fleet.admin)).calls.find((c) => c.transport === 'webrtc');
  const holder = fleet.nodeIds.indexOf(call?.node ?? '');
  const other = fleet.nodes.findIndex((n, i) => i !== holder && n.process.exitCode === null && n.process.signalCode === null);
  let hangUpStatus = 0;
  if (call !== undefined && other >= 0) {
    const res = await fetch(`${fleet.nodes[other]!.httpUrl}/v1/webrtc/${encodeURIComponent(call.callId)}`, { method: 'DELETE' });
    hangUpStatus = res.status;
  }
  const closed = await Promise.race([client.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000))]);
  if (closed === undefined) client.close();
  await waitFor(async () => !(await readFleet(fleet.admin)).calls.some((c) => c.transport === 'webrtc'), 5_000, 'the WebRTC call stayed registered');
  return {
    answer,
    audioFrames,
    heldBy: call?.node,
    hangUpSentTo: other >= 0 ? fleet.nodeIds[other] : undefined,
    hangUpStatus,
    closeCode: closed?.code,
  };
}
