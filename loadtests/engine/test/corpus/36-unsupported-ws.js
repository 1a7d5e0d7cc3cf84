// k6 docs, k6/ws: WebSockets are not in the native engine (refused before the run).

import { check } from 'k6';
import ws from 'k6/ws';

export default function () {
  const url = 'ws://echo.websocket.org';
  const res = ws.connect(url, null, (socket) => {
    socket.on('open', () => socket.close());
  });
  check(res, { 'status is 101': (r) => r && r.status === 101 });
}
