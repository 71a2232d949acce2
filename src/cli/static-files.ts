/**
 * A small, careful static file handler for the demo page: GET/HEAD only, no directory listings, no dotfiles, no
 * escaping the root directory, explicit content types, and headers that keep the browser from guessing.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** Content types of the files the demo uses; anything else is served as bytes. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8'
};

/** Headers on every response: no MIME sniffing, no framing by other sites, only same-origin scripts and sockets. */
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'Cache-Control': 'no-cache'
};

function sendText(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extra,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body)
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * Map a request path to a file under `root`, or `undefined` when it must not be served (outside the root, a
 * dotfile, an encoded slash or NUL, malformed percent-encoding).
 */
export function resolveRequestPath(root: string, urlPath: string): string | undefined {
  const pathname = urlPath.split('?')[0].split('#')[0];
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || /%2f|%5c/i.test(pathname)) return undefined;
  const segments = decoded.split('/').filter((segment) => segment !== '');
  // Dotfiles and `..` are refused outright rather than normalised away.
  if (segments.some((segment) => segment.startsWith('.'))) return undefined;
  const relative = decoded.endsWith('/') || segments.length === 0 ? [...segments, 'index.html'] : segments;
  const base = resolve(root);
  const file = resolve(join(base, ...relative));
  return file.startsWith(base + sep) ? file : undefined;
}

/** An HTTP request handler serving the files under `root`. */
export function createStaticHandler(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    const file = resolveRequestPath(root, req.url ?? '/');
    if (file === undefined) {
      sendText(res, 404, 'Not Found\n');
      return;
    }
    serveFile(file, res).catch(() => {
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error\n');
      else res.destroy();
    });
  };
}

async function serveFile(file: string, res: ServerResponse): Promise<void> {
  let body: Buffer;
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      sendText(res, 404, 'Not Found\n');
      return;
    }
    body = await readFile(file);
  } catch {
    sendText(res, 404, 'Not Found\n');
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': body.length
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
