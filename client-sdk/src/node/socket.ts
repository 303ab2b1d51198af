// SocketFactory for Node, on the `ws` package. The token goes in an Authorization header (Node can set headers).
import WebSocket from 'ws';
import type { SocketFactory } from '../socket.ts';

export const openNodeSocket: SocketFactory = (req, events) => {
  const ws = new WebSocket(req.url, {
    perMessageDeflate: false,
    ...(req.token === undefined ? {} : { headers: { Authorization: `Bearer ${req.token}` } }),
  });
  ws.binaryType = 'nodebuffer';
  ws.on('open', () => events.onOpen());
  ws.on('message', (data, isBinary) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
    if (isBinary) events.onBinary(bytes);
    else events.onText(bytes.toString('utf8'));
  });
  ws.on('close', (code, reason) => events.onClose(code, reason.toString('utf8')));
  ws.on('unexpected-response', (_req, res) => {
    events.onError({ message: `server refused the upgrade: HTTP ${res.statusCode}`, ...(res.statusCode ? { httpStatus: res.statusCode } : {}) });
    ws.terminate();
  });
  ws.on('error', (err) => events.onError({ message: err.message }));
  return {
    send: (data) => ws.send(data, { binary: typeof data !== 'string' }),
    close: (code, reason) => ws.close(code, reason),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
};
