// The call's Web Audio graph. Everything the caller "says" (microphone, sample files) is mixed on one send bus,
// which feeds the WebRTC send track, a level meter and, for WebSocket calls, a PCM tap. Answer audio is
// metered on the way out. One AudioContext per call, closed with it.
import { Resampler } from '../audio/resample.ts';

/** Runs in the audio thread: batches render quanta into 20 ms blocks before crossing to the main thread. */
const TAP_WORKLET = `
class VoxgateTap extends AudioWorkletProcessor {
  constructor() { super(); this.block = new Float32Array(Math.round(sampleRate / 50)); this.filled = 0; }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (!ch) return true;
    let at = 0;
    while (at < ch.length) {
      const n = Math.min(ch.length - at, this.block.length - this.filled);
      this.block.set(ch.subarray(at, at + n), this.filled);
      this.filled += n; at += n;
      if (this.filled === this.block.length) { this.port.postMessage(this.block.slice()); this.filled = 0; }
    }
    return true;
  }
}
registerProcessor('voxgate-tap', VoxgateTap);
`;

export interface MicrophoneOptions {
  /** Echo cancellation, noise suppression and automatic gain (the browser's voice processing). */
  voiceProcessing: boolean;
}

export class AudioGraph {
  readonly ctx: AudioContext;
  private readonly sendBus: GainNode;
  private readonly micGain: GainNode;
  private readonly sendMeter: AnalyserNode;
  private readonly outputMeter: AnalyserNode;
  /** What answers play through (WebSocket playback); WebRTC answers are metered from their stream. */
  readonly output: GainNode;
  private destination: MediaStreamAudioDestinationNode | undefined;
  private micStream: MediaStream | undefined;
  private micSource: MediaStreamAudioSourceNode | undefined;
  private tap: AudioWorkletNode | undefined;
  private remoteSource: MediaStreamAudioSourceNode | undefined;
  private samplesPlaying = 0;
  private micMuted = false;
  private readonly meterBuffer = new Float32Array(1024);

  constructor() {
    this.ctx = new AudioContext({ latencyHint: 'interactive' });
    this.sendBus = this.ctx.createGain();
    this.micGain = this.ctx.createGain();
    this.micGain.connect(this.sendBus);
    this.sendMeter = this.meter();
    this.sendBus.connect(this.sendMeter);
    this.outputMeter = this.meter();
    this.output = this.ctx.createGain();
    this.output.connect(this.outputMeter);
    this.output.connect(this.ctx.destination);
  }

  /** Browsers start audio contexts suspended until a user gesture; the call button is one. */
  async resume(): Promise<void> {
    if (this.ctx.state === 'suspended') await this.ctx.resume();
  }

  /** The send bus as a MediaStreamTrack, for the WebRTC sender. */
  sendTrack(): MediaStreamTrack {
    this.destination ??= this.ctx.createMediaStreamDestination();
    this.destination.channelCount = 1;
    this.sendBus.connect(this.destination);
    const track = this.destination.stream.getAudioTracks()[0];
    if (track === undefined) throw new Error('the audio context gave no track');
    return track;
  }

  /** Streams the send bus as PCM at rateHz in 20 ms blocks (WebSocket calls). */
  async tapPcm(rateHz: number, onPcm: (pcm: Float32Array) => void): Promise<void> {
    const url = URL.createObjectURL(new Blob([TAP_WORKLET], { type: 'text/javascript' }));
    try {
      await this.ctx.audioWorklet.addModule(url);
    } finally {
      URL.revokeObjectURL(url);
    }
    const resampler = new Resampler(this.ctx.sampleRate, rateHz);
    this.tap = new AudioWorkletNode(this.ctx, 'voxgate-tap', { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1, channelCountMode: 'explicit' });
    this.tap.port.onmessage = (ev: MessageEvent<Float32Array>) => onPcm(resampler.push(ev.data));
    this.sendBus.connect(this.tap);
    // A node reaching the destination is pulled by the render loop on every browser; a zero gain keeps it silent.
    const sink = this.ctx.createGain();
    sink.gain.value = 0;
    this.tap.connect(sink).connect(this.ctx.destination);
  }

  async attachMicrophone(opts: MicrophoneOptions): Promise<void> {
    const p = opts.voiceProcessing;
    this.micStream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: p, noiseSuppression: p, autoGainControl: p },
    });
    this.micSource = this.ctx.createMediaStreamSource(this.micStream);
    this.micSource.connect(this.micGain);
  }

  get hasMicrophone(): boolean {
    return this.micStream !== undefined;
  }

  setMicrophoneMuted(muted: boolean): void {
    this.micMuted = muted;
    this.applyMicGain();
  }

  /** Plays audio into the call as the caller's voice (and quietly on the speakers); resolves when it ends. */
  playIntoCall(buffer: AudioBuffer, signal?: AbortSignal): Promise<void> {
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.sendBus);
    const monitor = this.ctx.createGain();
    monitor.gain.value = 0.5;
    source.connect(monitor).connect(this.ctx.destination);
    // The microphone would hear the speakers: it is muted while a sample speaks.
    this.samplesPlaying++;
    this.applyMicGain();
    return new Promise((resolve) => {
      const stop = () => source.stop();
      signal?.addEventListener('abort', stop, { once: true });
      source.onended = () => {
        signal?.removeEventListener('abort', stop);
        source.disconnect();
        monitor.disconnect();
        this.samplesPlaying--;
        this.applyMicGain();
        resolve();
      };
      source.start();
    });
  }

  /** Meters (and, in Chrome, keeps flowing) the WebRTC answer stream; the audio element plays it. */
  meterRemote(stream: MediaStream): void {
    this.remoteSource?.disconnect();
    this.remoteSource = this.ctx.createMediaStreamSource(stream);
    this.remoteSource.connect(this.outputMeter);
  }

  /** RMS of the last ~20 ms of what the caller sends, 0..1. */
  inputLevel(): number {
    return this.rms(this.sendMeter);
  }

  /** RMS of the last ~20 ms of the answer being played, 0..1. */
  outputLevel(): number {
    return this.rms(this.outputMeter);
  }

  async close(): Promise<void> {
    for (const t of this.micStream?.getTracks() ?? []) t.stop();
    if (this.tap) this.tap.port.onmessage = null;
    if (this.ctx.state !== 'closed') await this.ctx.close();
  }

  private meter(): AnalyserNode {
    const a = this.ctx.createAnalyser();
    a.fftSize = 1024;
    return a;
  }

  private rms(a: AnalyserNode): number {
    a.getFloatTimeDomainData(this.meterBuffer);
    let sum = 0;
    for (const x of this.meterBuffer) sum += x * x;
    return Math.sqrt(sum / this.meterBuffer.length);
  }

  private applyMicGain(): void {
    this.micGain.gain.value = this.micMuted || this.samplesPlaying > 0 ? 0 : 1;
  }
}
