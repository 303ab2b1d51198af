// One spoken turn from Node: streams a WAV question to a voxgate gateway as a microphone would (20 ms at a time),
// prints what the gateway heard and what it answered, and saves the spoken answer as a WAV.
//
//   npm install voxgate-client
//   node ask.mjs ws://127.0.0.1:8080/v1/voice question.wav answer.wav
//
// Over WebRTC instead, give the gateway's WebRTC URL (and `npm install werift` once, the SDK's optional WebRTC stack):
//   node ask.mjs http://127.0.0.1:8080/v1/webrtc question.wav answer.wav
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, readWav, writeWav } from 'voxgate-client/node';

const [url = 'ws://127.0.0.1:8080/v1/voice', questionPath = 'question.wav', answerPath = 'answer.wav'] = process.argv.slice(2);
const FRAME_SAMPLES = 320; // 20 ms at 16 kHz

const question = await readWav(questionPath, 16000); // any 16-bit PCM WAV, resampled to 16 kHz mono
const overWebRtc = url.startsWith('http');
// vad: false → this script says when the question ends. The WebRTC entry loads only when asked for.
const client = overWebRtc ? await (await import('voxgate-client/node/webrtc')).connectWebRtc({ url, vad: false }) : await connect({ url, vad: false });

const answerChunks = [];
client.on('audio', (chunk) => answerChunks.push(chunk.pcm));
const turn = new Promise((resolve, reject) => {
  let transcript = '';
  let answer = '';
  client.on('transcript.final', (e) => (transcript = e.text));
  client.on('answer.final', (e) => (answer = e.text));
  client.on('turn.done', (e) => resolve({ transcript, answer, timings: e.timings }));
  client.on('error', (e) => (e.fatal ? reject(new Error(`${e.code}: ${e.message}`)) : console.warn(`warning ${e.code}: ${e.message}`)));
  client.on('close', (info) => reject(new Error(`the call ended: ${info.errorCode ?? info.code} ${info.reason}`)));
});

for (let at = 0; at < question.pcm.length; at += FRAME_SAMPLES) {
  client.sendAudio(question.pcm.subarray(at, at + FRAME_SAMPLES));
  await sleep(20); // real time, like a microphone; the gateway limits how far ahead a caller may send
}
client.commit(); // end of the question: the gateway answers now

const { transcript, answer, timings } = await turn;
const sampleRateHz = client.session.output.sampleRateHz;
const answerPcm = new Float32Array(answerChunks.reduce((n, c) => n + c.length, 0));
answerChunks.reduce((at, c) => (answerPcm.set(c, at), at + c.length), 0);
await writeWav(answerPath, answerPcm, sampleRateHz);
await client.end();

console.log(`you said: ${transcript}`);
console.log(`voxgate: ${answer}`);
console.log(`answer audio: ${(answerPcm.length / sampleRateHz).toFixed(2)} s → ${answerPath} (first audio ${Math.round(timings.ttfaMs ?? NaN)} ms after the question ended)`);
