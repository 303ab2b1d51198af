// The demo page: call / hang up over WebRTC or WebSocket, level meters, sample questions spoken into the call,
// a text turn, and the conversation with per-turn timings. All voice work is the browser SDK's (VoxgateCall).
// window.voxgateDemo exposes the live call and finished turns for the browser tests.
import { VoxgateCall, type TransportKind, type TurnReport } from '../../client-sdk/src/browser/index.ts';

interface Sample {
  id: string;
  question: string;
  expected: string;
  durationMs: number;
}

interface TurnRecord extends TurnReport {
  transport: TransportKind;
}

interface TurnView {
  li: HTMLLIElement;
  you: HTMLElement;
  bot: HTMLElement;
  timings: HTMLElement;
}

const demo = {
  call: undefined as VoxgateCall | undefined,
  turns: [] as TurnRecord[],
  interrupted: [] as string[],
  errors: [] as { code: string; message: string; turnId?: string }[],
  /** The call's events in order (bounded), for tests and for reading in the console. */
  log: [] as { atMs: number; type: string; turnId?: string }[],
};
const LOG_MAX = 500;
function logEvent(type: string, turnId?: string): void {
  if (demo.log.length >= LOG_MAX) demo.log.shift();
  demo.log.push({ atMs: Math.round(performance.now()), type, ...(turnId === undefined ? {} : { turnId }) });
}
(globalThis as unknown as { voxgateDemo: typeof demo }).voxgateDemo = demo;

const el = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} missing from the page`);
  return found as T;
};
const ui = {
  state: el('state'),
  model: el('model'),
  call: el<HTMLButtonElement>('call'),
  hangup: el<HTMLButtonElement>('hangup'),
  mic: el<HTMLInputElement>('use-mic'),
  levelIn: el('level-in'),
  levelOut: el('level-out'),
  samples: el('samples'),
  textForm: el<HTMLFormElement>('text-form'),
  text: el<HTMLInputElement>('text'),
  sendText: el<HTMLButtonElement>('send-text'),
  turns: el<HTMLOListElement>('turns'),
};
const views = new Map<string, TurnView>();
let typedPending: string | undefined;

function transport(): TransportKind {
  const checked = document.querySelector<HTMLInputElement>('input[name="transport"]:checked');
  return checked?.value === 'websocket' ? 'websocket' : 'webrtc';
}

function setState(text: string, cls: string): void {
  ui.state.textContent = text;
  ui.state.className = `pill ${cls}`;
}

function setLive(live: boolean): void {
  ui.call.disabled = live;
  ui.hangup.disabled = !live;
  ui.text.disabled = !live;
  ui.sendText.disabled = !live;
  ui.samples.querySelectorAll('button').forEach((b) => (b.disabled = !live));
  document.querySelectorAll<HTMLInputElement>('input[name="transport"], #use-mic').forEach((r) => (r.disabled = live));
}

function node<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text = ''): HTMLElementTagNameMap[K] {
  const n = document.createElement(tag);
  n.className = cls;
  n.textContent = text;
  return n;
}

function view(turnId: string): TurnView {
  let v = views.get(turnId);
  if (v !== undefined) return v;
  ui.turns.querySelector('.empty')?.remove();
  const li = node('li', 'turn');
  li.dataset['turnId'] = turnId;
  const line = (cls: string, who: string) => {
    const row = node('div', `line ${cls}`);
    row.append(node('span', 'who', who));
    const text = node('span', 'text');
    row.append(text);
    li.append(row);
    return text;
  };
  const you = line('you', 'you');
  const bot = line('bot', 'voxgate');
  const timings = node('div', 'timings');
  li.append(timings);
  if (typedPending !== undefined) {
    you.textContent = typedPending;
    typedPending = undefined;
  }
  ui.turns.prepend(li);
  v = { li, you, bot, timings };
  views.set(turnId, v);
  return v;
}

function chip(parent: HTMLElement, label: string, value: number | string | undefined, warn = false): void {
  if (value === undefined) return;
  const c = node('span', warn ? 'chip warn' : 'chip', `${label} `);
  const b = document.createElement('b');
  b.textContent = typeof value === 'number' ? `${Math.round(value)} ms` : value;
  c.append(b);
  parent.append(c);
}

function showTimings(r: TurnRecord): void {
  const t = view(r.turnId).timings;
  t.replaceChildren();
  // Server figures run from the end of input on the gateway; "page" ones from the end of input as seen here.
  chip(t, 'TTFA server', r.server.ttfaMs);
  chip(t, 'TTFA page', r.client.ttfaMs);
  chip(t, 'first word', r.server.firstAnswerMs);
  chip(t, 'answer audio', r.server.audioMs);
  chip(t, 'turn done', r.server.totalMs);
  chip(t, 'via', r.transport === 'webrtc' ? 'WebRTC' : 'WebSocket');
}

async function startCall(): Promise<void> {
  setState('connecting', 'connecting');
  ui.call.disabled = true;
  const kind = transport();
  let call: VoxgateCall;
  try {
    call = await VoxgateCall.start({ transport: kind, microphone: ui.mic.checked });
  } catch (err) {
    setState('failed', 'ended');
    ui.model.textContent = (err as Error).message;
    ui.call.disabled = false;
    return;
  }
  demo.call = call;
  ui.model.textContent = call.session?.model ?? '';
  setState(`live · ${kind === 'webrtc' ? 'WebRTC' : 'WebSocket'}`, 'live');
  setLive(true);
  for (const type of ['speech.started', 'speech.stopped', 'transcript', 'answer', 'audio.first', 'interrupted', 'turn', 'error'] as const) {
    call.on(type, (e) => logEvent(type, (e as { turnId?: string }).turnId));
  }
  call.on('speech.started', (e) => view(e.turnId));
  call.on('transcript', (e) => (view(e.turnId).you.textContent = e.text));
  call.on('answer', (e) => (view(e.turnId).bot.textContent = e.text));
  call.on('interrupted', (e) => {
    demo.interrupted.push(e.turnId);
    chip(view(e.turnId).timings, '', 'interrupted', true);
  });
  call.on('turn', (r) => {
    const record = { ...r, transport: kind };
    demo.turns.push(record);
    showTimings(record);
  });
  call.on('error', (e) => {
    demo.errors.push({ code: e.code, message: e.message, ...(e.turnId === undefined ? {} : { turnId: e.turnId }) });
    if (e.turnId !== undefined) chip(view(e.turnId).timings, 'error', e.code, true);
    if (e.fatal) ui.model.textContent = `${e.code}: ${e.message}`;
  });
  call.on('ended', (info) => {
    setState(info.errorCode ? `ended · ${info.errorCode}` : 'ended', 'ended');
    setLive(false);
    demo.call = undefined;
  });
  meter(call);
}

function meter(call: VoxgateCall): void {
  const scale = (level: number) => `${Math.min(100, Math.round(Math.sqrt(level) * 180))}%`;
  const frame = () => {
    if (call.state !== 'live') {
      ui.levelIn.style.width = ui.levelOut.style.width = '0%';
      return;
    }
    ui.levelIn.style.width = scale(call.inputLevel());
    ui.levelOut.style.width = scale(call.outputLevel());
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

async function loadSamples(): Promise<void> {
  const res = await fetch('/samples/index.json');
  if (!res.ok) return;
  const { samples } = (await res.json()) as { samples: Sample[] };
  for (const s of samples) {
    const b = node('button', '', s.question);
    b.type = 'button';
    b.disabled = true;
    b.dataset['sample'] = s.id;
    b.title = s.expected ? `taught answer: ${s.expected}` : '';
    b.addEventListener('click', () => {
      const call = demo.call;
      if (call === undefined) return;
      b.classList.add('speaking');
      call.speakSample(`/samples/${s.id}.wav`).finally(() => b.classList.remove('speaking'));
    });
    ui.samples.append(b);
  }
}

ui.call.addEventListener('click', () => void startCall());
ui.hangup.addEventListener('click', () => void demo.call?.hangUp());
ui.textForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = ui.text.value.trim();
  if (text === '' || demo.call === undefined) return;
  typedPending = text;
  demo.call.sendText(text, 'text-to-speech');
  ui.text.value = '';
});
void loadSamples();
