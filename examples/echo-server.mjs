// A WebSocket echo server on ws://127.0.0.1:8080 (PORT overrides). Run: npm start
import { WebSocketServer } from 'sockwire';

const port = Number(process.env.PORT ?? 8080);
const wss = new WebSocketServer({ port, host: '127.0.0.1' }, () => {
  console.log(`echo server listening on ws://127.0.0.1:${wss.address().port}`);
});

wss.on('connection', (ws, req) => {
  console.log(`connection from ${req.socket.remoteAddress}`);
  ws.on('error', (err) => console.error('socket error:', err.message));
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

process.on('SIGINT', () => {
  for (const client of wss.clients) client.close(1001, 'server shutting down');
  wss.close(() => process.exit(0));
});
