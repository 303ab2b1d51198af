// SocketFactory for Node, on the `ws` package. The token goes in an Authorization header (Node can set headers).
import WebSocket from 'ws';
import type { SocketFactory } from '../socket.ts';
import { refusalFromHttp } from '../transports/http-refusal.ts';

const REFUSAL_BODY_MAX_BYTES = 4096;

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
    // The refusal's body names the error code (a full node, a draining one, a bad token): read a bounded prefix.
    const chunks: Buffer[] = [];
    let bytes = 0;
    let reported = false;
    const report = () => {
      if (reported) return;
      reported = true;
      const status = res.statusCode ?? 0;
      const header = res.headers['retry-after'];
      const refusal = refusalFromHttp(status, Buffer.concat(chunks).toString('utf8'), typeof header === 'string' ? header : undefined);
      events.onError({ ...refusal, message: `server refused the upgrade: ${refusal.message}`, httpStatus: status });
      ws.terminate();
    };
    res.on('data', (chunk: Buffer) => {
      if (bytes < REFUSAL_BODY_MAX_BYTES) chunks.push(chunk.subarray(0, REFUSAL_BODY_MAX_BYTES - bytes));
      bytes += chunk.length;
    });
    // 'end' once the body is in; 'error' or 'close' when the response is cut short (reported once).
    res.once('end', report);
    res.on('error', report);
    res.once('close', report);
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
