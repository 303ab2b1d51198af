// A WebRTC SocketFactory for Node, on werift: the VoiceClient core runs over it unchanged. Text goes on the
// "voxgate" data channel; binary audio frames become Opus RTP on our track and the server's RTP becomes audio
// frames again. Use Opus input and output (the media tracks carry nothing else).
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, useOPUS, type RTCDataChannel } from 'werift';
import { VoiceClient, type VoiceClientOptions } from '../client.ts';
import { nodeCodecs } from '../node/opus.ts';
import { FRAME_MS, NORMAL_CLOSE, decodeBinaryFrame, encodeAudioFrame } from '../protocol/index.ts';
import type { SocketEvents, SocketFactory, SocketLike, SocketRequest } from '../socket.ts';
import { gatheringComplete } from './webrtc-ice.ts';
import { RtpOpusClock, RtpSequenceFilter } from './webrtc-rtp.ts';
import { postOffer, reportRefusal } from './webrtc-signaling.ts';
import { DATA_CHANNEL_LABEL, parseConnectionClose } from './webrtc-wire.ts';

export interface NodeWebRtcOptions {
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
  /** Host candidates beyond the local interfaces; loopback by default, for a gateway on this machine. */
  iceAdditionalHostAddresses?: string[];
  /** Longest wait for our ICE candidates before the offer goes out. */
  gatherTimeoutMs?: number;
}

/** Time the server gets to close its side after we hang up before our peer connection is dropped. */
const CLOSE_GRACE_MS = 1_000;

export function createNodeWebRtcSocketFactory(opts: NodeWebRtcOptions = {}): SocketFactory {
  return (req, events) => new NodeWebRtcSocket(req, events, opts);
}

/** Connects over WebRTC with Opus both ways (the SDK's Node codecs), like node/index.ts connect() does over ws. */
export function connectWebRtc(options: Omit<VoiceClientOptions, 'openSocket' | 'codecs'> & { webrtc?: NodeWebRtcOptions }): Promise<VoiceClient> {
  const { webrtc, ...rest } = options;
  return VoiceClient.connect({
    ...rest,
    openSocket: createNodeWebRtcSocketFactory(webrtc),
    codecs: nodeCodecs,
    input: { codec: 'opus', sampleRateHz: rest.input?.sampleRateHz ?? 16000 },
    output: { codec: 'opus', sampleRateHz: rest.output?.sampleRateHz ?? 16000 },
  });
}

class NodeWebRtcSocket implements SocketLike {
  private readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'audio' });
  private readonly channel: RTCDataChannel;
  private readonly clock = new RtpOpusClock({ frameMs: FRAME_MS });
  private readonly sequence = new RtpSequenceFilter();
  private opened = false;
  private closed = false;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly req: SocketRequest,
    private readonly events: SocketEvents,
    private readonly opts: NodeWebRtcOptions,
  ) {
    this.pc = new RTCPeerConnection({
      iceServers: opts.iceServers ?? [],
      iceAdditionalHostAddresses: opts.iceAdditionalHostAddresses ?? ['127.0.0.1'],
      codecs: { audio: [useOPUS()], video: [] },
      // One ICE transport for the track and the data channel from the start. Without it werift gathers a second
      // transport whose UDP sockets pc.close() leaves open, and a script that made a call never exits.
      bundlePolicy: 'max-bundle',
    });
    const transceiver = this.pc.addTransceiver(this.track, { direction: 'sendrecv' });
    transceiver.onTrack.subscribe((remote) => {
      remote.onReceiveRtp.subscribe((rtp) => {
        if (this.closed || rtp.payload.byteLength === 0 || !this.sequence.accept(rtp.header.sequenceNumber)) return;
        this.events.onBinary(encodeAudioFrame(rtp.payload));
      });
    });
    this.channel = this.pc.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true });
    this.channel.stateChanged.subscribe((state) => {
      if (state === 'open' && !this.opened && !this.closed) {
        this.opened = true;
        this.events.onOpen();
      }
      if (state === 'closed') this.finish(NORMAL_CLOSE, 'data channel closed');
    });
    this.channel.onMessage.subscribe((data) => {
      if (this.closed) return;
      if (typeof data !== 'string') return this.events.onBinary(data);
      const close = parseConnectionClose(data);
      if (close !== undefined) return this.finish(close.code, close.reason);
      this.events.onText(data);
    });
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed') this.fail('ICE or DTLS failed');
      else if (state === 'closed') this.finish(1006, 'peer connection closed');
    });
    void this.negotiate();
  }

  get bufferedAmount(): number {
    return this.channel.bufferedAmount;
  }

  send(data: string | Uint8Array): void {
    if (this.closed) return;
    if (typeof data === 'string') return this.channel.send(data);
    const frame = decodeBinaryFrame(data);
    if (!frame.ok) return;
    if (frame.value.kind !== 'audio') return this.channel.send(Buffer.from(data));
    const stamp = this.clock.next(performance.now());
    const header = new RtpHeader({ sequenceNumber: stamp.sequenceNumber, timestamp: stamp.timestamp, marker: stamp.marker });
    const payload = frame.value.payload;
    this.track.writeRtp(new RtpPacket(header, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)));
  }

  /** Hangs up: closes the channel (the server ends the call) and, after a short grace, the peer connection. */
  close(code = NORMAL_CLOSE, reason = 'client closed'): void {
    if (this.closed || this.closeTimer !== undefined) return;
    if (!this.opened) return this.finish(code, reason);
    this.channel.close();
    this.closeTimer = setTimeout(() => this.finish(code, reason), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  private async negotiate(): Promise<void> {
    try {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      await gatheringComplete(this.pc, this.opts.gatherTimeoutMs ?? 2_000);
      const sdp = this.pc.localDescription?.sdp;
      if (sdp === undefined) throw new Error('no local description');
      const answer = await postOffer({ url: this.req.url, sdp, ...(this.req.token === undefined ? {} : { token: this.req.token }) });
      if (this.closed) return;
      if (!answer.ok) {
        this.closed = true;
        this.shutdown();
        return reportRefusal(this.events, answer);
      }
      await this.pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    } catch (err) {
      this.fail(`negotiation failed: ${(err as Error).message}`);
    }
  }

  private fail(message: string): void {
    if (this.closed) return;
    if (!this.opened) this.events.onError({ message });
    this.finish(1006, message);
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.closeTimer);
    this.shutdown();
    this.events.onClose(code, reason);
  }

  private shutdown(): void {
    this.track.stop();
    void this.pc.close().catch(() => {});
  }
}
