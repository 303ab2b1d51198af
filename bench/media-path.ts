// The media path alone: what one call's audio costs the gateway per second, through the gateway's own codec code
// (gateway/audio-in.ts decodes the caller's Opus to 16 kHz; gateway/audio-out.ts cuts the engine's chunks into
// 20 ms frames and encodes them), against the raw codec calls underneath (@evan/opus both ways). Many streams
// are interleaved frame by frame, as calls are on the event loop, each with its own codec state.
//   npx tsx bench/media-path.ts [--streams 16] [--seconds 10]     (last line: one JSON object)
import { parseArgs } from 'node:util';
import { Decoder, Encoder } from '@evan/opus';
import { readWav } from '../client-sdk/src/node/wav.ts';
import { float32ToInt16 } from '../client-sdk/src/protocol/pcm16.ts';
import { encodeAudioFrame } from '../client-sdk/src/protocol/index.ts';
import { createInputAudio } from '../server/src/gateway/audio-in.ts';
import { OutputAudio } from '../server/src/gateway/audio-out.ts';
import { DEFAULT_UTTERANCES_DIR } from '../server/src/loadtest/utterances.ts';

export interface MediaPathFigures {
  streams: number;
  audioSeconds: number;
  outputRateHz: number;
  /** CPU time per second of call audio (decode in + encode out), microseconds. */
  gatewayUsPerCallSecond: number;
  rawCodecUsPerCallSecond: number;
  mediaOverRawCodec: number;
  /** Calls one core could carry on the media path alone. */
  callsPerCoreMediaOnly: number;
}

const FRAME_MS = 20;
const RATE_HZ = 16000;
const FRAME_SAMPLES = (RATE_HZ * FRAME_MS) / 1000;
/** The engine hands the gateway vocoder chunks of this much audio (firstChunkUnits/chunkUnits at ~34 units/s). */
const ENGINE_CHUNK_MS = 300;

/** Real speech from the shipped utterances, looped to `seconds`. */
async function speech(seconds: number): Promise<Float32Array> {
  const files = ['05-arithmetic-what-is-two-plus-three.wav', '21-abilities-what-can-you-do.wav', '15-count-count-from-one-to-five.wav'];
  const parts = await Promise.all(files.map((f) => readWav(`${DEFAULT_UTTERANCES_DIR}/${f}`, RATE_HZ)));
  const out = new Float32Array(seconds * RATE_HZ);
  for (let at = 0, i = 0; at < out.length; i++) {
    const p = parts[i % parts.length]!.pcm;
    out.set(p.subarray(0, Math.min(p.length, out.length - at)), at);
    at += p.length;
  }
  return out;
}

/** The caller's packets, as the SDK sends them (16 kHz Opus, 20 ms). */
function callerPackets(pcm: Float32Array): Uint8Array[] {
  const enc = new Encoder({ channels: 1, sample_rate: RATE_HZ, application: 'voip' });
  enc.bitrate = 24000;
  const out: Uint8Array[] = [];
  for (let at = 0; at + FRAME_SAMPLES <= pcm.length; at += FRAME_SAMPLES) out.push(enc.encode(float32ToInt16(pcm.subarray(at, at + FRAME_SAMPLES))));
  return out;
}

function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** Runs `step(stream, frame)` for every frame of every stream, interleaved; returns CPU µs per call-second. */
async function measure(streams: number, frames: number, step: (s: number, f: number) => void): Promise<number> {
  for (let f = 0; f < Math.min(50, frames); f++) for (let s = 0; s < streams; s++) step(s, f); // warm-up
  const t0 = cpuUs();
  for (let f = 0; f < frames; f++) for (let s = 0; s < streams; s++) step(s, f);
  const callSeconds = (streams * frames * FRAME_MS) / 1000;
  return (cpuUs() - t0) / callSeconds;
}

export async function measureMediaPath(opts: { streams?: number; seconds?: number; outputRateHz?: 16000 | 48000 } = {}): Promise<MediaPathFigures> {
  const streams = opts.streams ?? 16;
  const seconds = opts.seconds ?? 10;
  const outRate = opts.outputRateHz ?? 16000;
  const pcm = await speech(seconds);
  const packets = callerPackets(pcm);
  const frames = packets.length;
  const chunkFrames = ENGINE_CHUNK_MS / FRAME_MS;

  // Through the gateway's code: InputAudio.decode per packet; OutputAudio.push per engine chunk (every
  // chunkFrames frames), each frame then framed for the wire as the call output does.
  const inputs = Array.from({ length: streams }, () => createInputAudio({ codec: 'opus', sampleRateHz: RATE_HZ }));
  const outputs = Array.from({ length: streams }, () => new OutputAudio({ codec: 'opus', sampleRateHz: outRate, frameMs: FRAME_MS }));
  let sink = 0;
  const gatewayUs = await measure(streams, frames, (s, f) => {
    sink += inputs[s]!.decode(packets[f]!).length;
    if (f % chunkFrames === 0) {
      const chunk = pcm.subarray(f * FRAME_SAMPLES, (f + chunkFrames) * FRAME_SAMPLES);
      for (const payload of outputs[s]!.push(chunk, RATE_HZ)) sink += encodeAudioFrame(payload).length;
    }
  });

  // Raw codec calls: one decode to int16 and one encode of a ready frame at the output rate per 20 ms.
  const decoders = Array.from({ length: streams }, () => new Decoder({ channels: 1, sample_rate: RATE_HZ }));
  const encoders = Array.from({ length: streams }, () => {
    const e = new Encoder({ channels: 1, sample_rate: outRate, application: 'voip' });
    e.bitrate = 24000;
    return e;
  });
  const outFrameSamples = (outRate * FRAME_MS) / 1000;
  const outFrames = Array.from({ length: frames }, (_, f) => {
    const src = pcm.subarray(f * FRAME_SAMPLES, (f + 1) * FRAME_SAMPLES);
    // A ready int16 frame at the output rate (nearest-sample upsampling: the raw cost excludes resampling).
    return Int16Array.from({ length: outFrameSamples }, (_, i) => Math.round((src[Math.floor((i * RATE_HZ) / outRate)] ?? 0) * 32767));
  });
  const rawUs = await measure(streams, frames, (s, f) => {
    sink += decoders[s]!.decode(packets[f]!).byteLength;
    sink += encoders[s]!.encode(outFrames[f]!).length;
  });
  if (sink < 0) console.log(sink); // keeps the work observable

  return {
    streams,
    audioSeconds: seconds,
    outputRateHz: outRate,
    gatewayUsPerCallSecond: Math.round(gatewayUs),
    rawCodecUsPerCallSecond: Math.round(rawUs),
    mediaOverRawCodec: Math.round((gatewayUs / rawUs) * 100) / 100,
    callsPerCoreMediaOnly: Math.floor(1e6 / gatewayUs),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { streams: { type: 'string' }, seconds: { type: 'string' } } });
  const streams = Number(values.streams ?? 16);
  const seconds = Number(values.seconds ?? 10);
  const at16 = await measureMediaPath({ streams, seconds, outputRateHz: 16000 });
  const at48 = await measureMediaPath({ streams, seconds, outputRateHz: 48000 });
  for (const f of [at16, at48]) {
    process.stderr.write(
      `opus in 16 kHz, out ${f.outputRateHz / 1000} kHz, ${f.streams} streams: gateway ${f.gatewayUsPerCallSecond} µs per call-second, ` +
        `raw codec ${f.rawCodecUsPerCallSecond} µs → ${f.mediaOverRawCodec}×  (~${f.callsPerCoreMediaOnly} calls per core on media alone)\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ ...at16, mediaOverRawCodec48k: at48.mediaOverRawCodec, gatewayUsPerCallSecond48k: at48.gatewayUsPerCallSecond })}\n`);
}
