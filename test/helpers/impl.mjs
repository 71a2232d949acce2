// The implementation under test. API tests are written to pass against ws 8 too, which proves each test checks
// real ws behaviour: `SOCKWIRE_TEST_IMPL=ws node scripts/run-tests.mjs test/api`.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const implName = process.env.SOCKWIRE_TEST_IMPL === 'ws' ? 'ws' : 'sockwire';
const impl = implName === 'ws' ? require('ws') : require('../../dist/cjs/index.js');

export default impl;
export const { WebSocket, WebSocketServer, createWebSocketStream, Receiver, Sender } = impl;
