// The Realtime endpoint's turn → response mapping, as a pure core: voxgate turn events in, Realtime server
// events out, in the order and shape clients rely on.
import { describe, expect, it } from 'vitest';
import { RealtimeResponses } from '../../server/src/transport/realtime-responses.ts';

type Ev = Record<string, any>;

function harness(textOnly = false): { r: RealtimeResponses; out: Ev[] } {
  const out: Ev[] = [];
  const r = new RealtimeResponses({ emit: (e) => out.push(e), textOnly: () => textOnly, audioMs: () => 1000, vad: () => true });
  return { r, out };
}

describe('Realtime responses', () => {
  it('a spoken turn: committed item, transcript, one response with its item and part, audio, done', () => {
    const { r, out } = harness();
    r.handle({ type: 'speech.started', turnId: 't1' });
    r.handle({ type: 'speech.stopped', turnId: 't1' });
    r.handle({ type: 'transcript.final', turnId: 't1', text: 'hello' });
    r.handle({ type: 'answer.delta', turnId: 't1', text: 'hi ' });
    r.handle({ type: 'answer.final', turnId: 't1', text: 'hi there' });
    r.audio('t1', new Uint8Array([1, 0, 2, 0]));
    r.handle({ type: 'audio.end', turnId: 't1' });
    r.handle({ type: 'turn.done', turnId: 't1', mode: 'speech-to-speech', timings: { endOfInputMs: 0, totalMs: 1, inputUnits: 0, outputTextTokens: 0, outputUnits: 0, audioMs: 0 } });
    expect(out.map((e) => e['type'])).toEqual([
      'input_audio_buffer.speech_started',
      'input_audio_buffer.speech_stopped',
      'input_audio_buffer.committed',
      'conversation.item.added',
      'response.created',
      'conversation.item.input_audio_transcription.completed',
      'conversation.item.done',
      'response.output_item.added',
      'conversation.item.added',
      'response.content_part.added',
      'response.output_audio_transcript.delta',
      'response.output_audio_transcript.done',
      'response.output_audio.delta',
      'response.output_audio.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ]);
    const done = out.at(-1) as Ev;
    expect(done['response']).toMatchObject({ status: 'completed', output: [{ role: 'assistant', content: [{ type: 'audio', transcript: 'hi there' }] }] });
    expect(r.busy).toBe(false);
  });

  it('a turn that fails still ends its response (failed), so response.create is not left waiting', () => {
    const { r, out } = harness();
    r.handle({ type: 'speech.stopped', turnId: 't1' });
    expect(r.busy).toBe(true);
    r.handle({ type: 'error', code: 'MODEL_OUTPUT_MALFORMED', message: 'bad units', fatal: false, turnId: 't1' });
    expect(out.at(-1)).toMatchObject({ type: 'response.done', response: { status: 'failed', status_details: { type: 'failed', error: { code: 'MODEL_OUTPUT_MALFORMED' } } } });
    expect(r.busy).toBe(false);
  });

  it('a text turn takes the response its response.create announced; an interruption cancels it', () => {
    const { r, out } = harness(true);
    r.announce();
    const created = out.at(-1) as Ev;
    r.handle({ type: 'answer.delta', turnId: 'x7', text: 'my' });
    r.handle({ type: 'interrupted', turnId: 'x7' });
    const deltas = out.filter((e) => e['type'] === 'response.output_text.delta');
    expect(deltas[0]?.['response_id']).toBe(created['response']['id']);
    expect(out.at(-1)).toMatchObject({ type: 'response.done', response: { id: created['response']['id'], status: 'cancelled' } });
  });
});
