// The page's whole use of the SDK: start a call (microphone on, the gateway hears when you stop speaking), show
// what it heard and answered, report how much answer audio played, hang up.
import { VoiceClientError, VoxgateCall } from 'voxgate-client/browser';

const $ = (id) => document.getElementById(id);
let call;

function turnRow(turnId) {
  let li = document.querySelector(`li.turn[data-turn-id="${turnId}"]`);
  if (li === null) {
    li = document.createElement('li');
    li.className = 'turn';
    li.dataset.turnId = turnId;
    li.innerHTML = '<div class="you"></div><div class="bot"></div><div class="audio"></div>';
    $('turns').append(li);
  }
  return li;
}

function showState(state) {
  $('state').textContent = state;
  $('call').disabled = state !== 'idle' && state !== 'ended';
  $('hangup').disabled = $('interrupt').disabled = state !== 'live';
}

$('call').onclick = async () => {
  const transport = document.querySelector('input[name="transport"]:checked').value;
  $('error').textContent = '';
  showState('connecting');
  try {
    // The gateway is this page's origin by default; pass baseUrl for another one.
    call = await VoxgateCall.start({ transport });
  } catch (err) {
    showState('ended');
    $('error').textContent = err instanceof VoiceClientError ? `${err.code}${err.retryAfterMs ? `, retry in ${err.retryAfterMs} ms` : ''}` : String(err);
    return;
  }
  showState(call.state);
  call.on('state', showState);
  call.on('transcript', (e) => (turnRow(e.turnId).querySelector('.you').textContent = e.text));
  call.on('answer', (e) => (turnRow(e.turnId).querySelector('.bot').textContent = e.text));
  call.on('interrupted', (e) => (turnRow(e.turnId).dataset.interrupted = 'true'));
  call.on('turn', async (t) => {
    // How much answer audio reached the page so far, and whether it was audible (energy 0 would be silence).
    const stats = await call.stats();
    const li = turnRow(t.turnId);
    li.dataset.audioPackets = String(stats.audioPacketsReceived);
    li.dataset.audioEnergy = String(stats.totalAudioEnergy);
    const heard = stats.totalAudioEnergy > 0 ? 'audible' : 'silent';
    li.querySelector('.audio').textContent = `answer audio: ${stats.audioPacketsReceived} packets so far, ${heard}; first audio after ${Math.round(t.client.ttfaMs ?? NaN)} ms`;
    li.dataset.done = 'true';
  });
  call.on('error', (e) => ($('error').textContent = `${e.code}: ${e.message}`));
  call.on('ended', (info) => {
    showState('ended');
    if (info.errorCode !== undefined) $('error').textContent = `ended: ${info.errorCode}${info.retryable ? ' (a new call may succeed)' : ''}`;
  });
};
$('interrupt').onclick = () => call?.interrupt();
$('hangup').onclick = () => call?.hangUp();
