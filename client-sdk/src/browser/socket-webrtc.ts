// SocketFactory over a browser RTCPeerConnection: the protocol's JSON rides the "voxgate" data channel; the
// caller's audio is the send track given here and the answer arrives as a remote track (the page plays it).
// The VoiceClient core runs on top unchanged.
import type { SocketEvents, SocketFactory, SocketLike, SocketRequest } from '../socket.ts';
import { NORMAL_CLOSE } from '../protocol/index.ts';
import { postOffer, reportRefusal } from '../transports/webrtc-signaling.ts';
import { DATA_CHANNEL_LABEL, parseConnectionClose } from '../transports/webrtc-wire.ts';


export interface BrowserWebRtcSetup {
  /** The caller's audio (microphone, samples): sent as Opus by the browser. */
  sendTrack: MediaStreamTrack;
  /** The answer's audio track, once negotiated. */
  onRemoteTrack: (track: MediaStreamTrack, receiver: RTCRtpReceiver) => void;
  iceServers?: RTCIceServer[];
  /** Longest wait for our ICE candidates before the offer goes out (non-trickle signalling). */
  gatherTimeoutMs?: number;
  /** Receives the peer connection once created (stats, tests). */
  onPeerConnection?: (pc: RTCPeerConnection) => void;
}

/** Time the server gets to close its side after we hang up, before our peer connection is dropped. */
const CLOSE_GRACE_MS = 1_000;

export function browserWebRtcSocketFactory(setup: BrowserWebRtcSetup): SocketFactory {
  return (req, events) => new BrowserWebRtcSocket(req, events, setup);
}

class BrowserWebRtcSocket implements SocketLike {
  private readonly pc: RTCPeerConnection;
  private readonly channel: RTCDataChannel;
  private opened = false;
  private closed = false;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly req: SocketRequest,
    private readonly events: SocketEvents,
    private readonly setup: BrowserWebRtcSetup,
  ) {
    this.pc = new RTCPeerConnection({ iceServers: setup.iceServers ?? [] });
    setup.onPeerConnection?.(this.pc);
    this.pc.addTransceiver(setup.sendTrack, { direction: 'sendrecv' });
    this.pc.ontrack = (ev) => setup.onRemoteTrack(ev.track, ev.receiver);
    this.channel = this.pc.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true });
    this.channel.binaryType = 'arraybuffer';
    this.channel.onopen = () => {
      if (this.opened || this.closed) return;
      this.opened = true;
      this.events.onOpen();
    };
    this.channel.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
      if (this.closed) return;
      if (typeof ev.data !== 'string') return this.events.onBinary(new Uint8Array(ev.data));
      const close = parseConnectionClose(ev.data);
      if (close !== undefined) return this.finish(close.code, close.reason);
      this.events.onText(ev.data);
    };
    this.channel.onclose = () => this.finish(NORMAL_CLOSE, 'data channel closed');
    this.pc.onconnectionstatechange = () => {
      if (this.pc.connectionState === 'failed') this.fail('ICE or DTLS failed');
    };
    void this.negotiate();
  }

  get bufferedAmount(): number {
    return this.channel.bufferedAmount;
  }

  send(data: string | Uint8Array): void {
    if (this.closed || this.channel.readyState !== 'open') return;
    if (typeof data === 'string') this.channel.send(data);
    else this.channel.send(data.slice().buffer);
  }

  close(code = NORMAL_CLOSE, reason = 'client closed'): void {
    if (this.closed || this.closeTimer !== undefined) return;
    if (!this.opened) return this.finish(code, reason);
    this.channel.close();
    this.closeTimer = setTimeout(() => this.finish(code, reason), CLOSE_GRACE_MS);
  }

  private async negotiate(): Promise<void> {
    try {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      await gatheringComplete(this.pc, this.setup.gatherTimeoutMs ?? 2_000);
      const sdp = this.pc.localDescription?.sdp;
      if (sdp === undefined) throw new Error('no local description');
      const answer = await postOffer({ url: this.req.url, sdp, ...(this.req.token === undefined ? {} : { token: this.req.token }) });
      if (this.closed) return;
      if (!answer.ok) {
        this.closed = true;
        this.pc.close();
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
    this.pc.close();
    this.events.onClose(code, reason);
  }
}

function gatheringComplete(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const onChange = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    pc.addEventListener('icegatheringstatechange', onChange);
    function done(): void {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', onChange);
      resolve();
    }
  });
}
