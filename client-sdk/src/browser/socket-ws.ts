// SocketFactory over the browser's WebSocket. Browsers cannot set headers on a WebSocket: the token rides ?token=.
import type { SocketFactory } from '../socket.ts';

export const openBrowserWebSocket: SocketFactory = (req, events) => {
  const url = new URL(req.url);
  if (req.token !== undefined) url.searchParams.set('token', req.token);
  const ws = new WebSocket(url.href);
  ws.binaryType = 'arraybuffer';
  let opened = false;
  ws.onopen = () => {
    opened = true;
    events.onOpen();
  };
  ws.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
    if (typeof ev.data === 'string') events.onText(ev.data);
    else events.onBinary(new Uint8Array(ev.data));
  };
  // The browser hides why a WebSocket failed (refused upgrade, network): a close with 1006 follows.
  ws.onerror = () => {
    if (!opened) events.onError({ message: `could not open ${url.origin}${url.pathname}` });
  };
  ws.onclose = (ev) => events.onClose(ev.code, ev.reason);
  return {
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
};
