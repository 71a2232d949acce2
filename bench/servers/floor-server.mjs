// What every floor server of the bench does around its own logic (raw-echo.mjs, raw-handshake.mjs,
// minimal-echo.mjs, minimal-handshake.mjs, minimal-deflate-echo.mjs): listen on loopback, print one JSON line
// {impl, port, pid} for the harness, exit on SIGTERM/SIGINT, and never outlive BENCH_SERVER_MAX_S (default 900 s).

/**
 * @param {import('node:net').Server} server
 * @param {string} impl  the name the harness reports
 * @param {number} port  0 for any free port
 */
export function listenAndReport(server, impl, port) {
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ impl, port: server.address().port, pid: process.pid }) + '\n');
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  setTimeout(() => process.exit(3), Number(process.env.BENCH_SERVER_MAX_S || 900) * 1000).unref();
}
