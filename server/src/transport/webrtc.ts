// WebRTC transport: answers one SDP offer with a peer connection and presents it as a gateway Connection
// (webrtc-connection.ts). Signalling is one HTTP exchange (WHIP / OpenAI Realtime style): the answer carries
// all our ICE candidates, so there is no trickle and no second request.
import { RTCPeerConnection, useOPUS } from 'werift';
import { gatheringComplete } from '../../../client-sdk/src/transports/webrtc-ice.ts';
import { GatewayError } from '../errors.ts';
import type { Logger } from '../gateway/log.ts';
import { HARD_LIMIT_FACTOR } from './ws.ts';
import type { WebRtcConfig } from './webrtc-config.ts';
import { WebRtcConnection } from './webrtc-connection.ts';

export interface AnswerOfferOptions {
  config: WebRtcConfig;
  maxMessageBytes: number;
  remoteAddress: string;
  log: Logger;
}

export interface AnsweredOffer {
  answerSdp: string;
  connection: WebRtcConnection;
}

/**
 * Applies the offer, adds our audio track, gathers candidates and returns the answer. A bad offer is a
 * GatewayError('BAD_REQUEST'); the peer connection is closed on every failure.
 */
export async function answerOffer(offerSdp: string, opts: AnswerOfferOptions): Promise<AnsweredOffer> {
  checkOffer(offerSdp);
  const { config } = opts;
  const pc = new RTCPeerConnection({
    iceServers: config.iceServers,
    iceAdditionalHostAddresses: config.iceAdditionalHostAddresses,
    ...(config.icePortRange ? { icePortRange: config.icePortRange } : {}),
    // Opus only: the caller's voice is decoded with @evan/opus and the answer is encoded as Opus.
    codecs: { audio: [useOPUS()], video: [] },
    // Peers honour it, so oversized messages are refused at the sender; the connection still checks.
    maxMessageSize: opts.maxMessageBytes * HARD_LIMIT_FACTOR,
  });
  const connection = new WebRtcConnection({
    pc,
    remoteAddress: opts.remoteAddress,
    maxMessageBytes: opts.maxMessageBytes,
    connectTimeoutMs: config.connectTimeoutMs,
    disconnectedGraceMs: config.disconnectedGraceMs,
    log: opts.log,
  });
  try {
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    } catch (err) {
      throw new GatewayError('BAD_REQUEST', `the SDP offer could not be applied: ${(err as Error).message}`, { cause: err });
    }
    const audio = pc.getTransceivers().find((t) => t.kind === 'audio');
    if (audio === undefined) throw new GatewayError('BAD_REQUEST', 'the offer has no audio section');
    if (audio.codecs.length === 0) throw new GatewayError('BAD_REQUEST', 'the offer has no Opus audio codec (opus/48000/2)');
    // werift makes remote-offered transceivers recvonly; adding our track makes this one sendrecv.
    pc.addTrack(connection.audioOut);
    await pc.setLocalDescription(await pc.createAnswer());
    await gatheringComplete(pc, config.gatherTimeoutMs);
    const answerSdp = pc.localDescription?.sdp;
    if (answerSdp === undefined) throw new Error('werift produced no local description');
    if (!/^a=(sendrecv|sendonly)/m.test(answerSdp)) throw new GatewayError('BAD_REQUEST', 'the offer does not let us send audio back (direction sendonly or inactive)');
    return { answerSdp, connection };
  } catch (err) {
    connection.close(1011, 'negotiation failed');
    throw err;
  }
}

/** Cheap checks before a peer connection is spent on the offer. */
function checkOffer(sdp: string): void {
  if (!sdp.startsWith('v=0')) throw new GatewayError('BAD_REQUEST', 'the body is not an SDP offer (it must start with v=0)');
  if (!/^m=audio /m.test(sdp)) throw new GatewayError('BAD_REQUEST', 'the offer has no audio section: the caller speaks over an audio track');
  if (!/^a=rtpmap:\d+ opus\/48000/im.test(sdp)) throw new GatewayError('BAD_REQUEST', 'the offer has no Opus audio codec (opus/48000/2)');
}
