import http from 'node:http';
import { elapsedMs } from './stats.js';

export interface HttpResponse {
  status: number;
  body: string;
  /** From sending the request to the last byte of the response. */
  ms: number;
}

export interface HttpClient {
  request(options: { method: 'GET' | 'POST'; path: string; token?: string; body?: unknown }): Promise<HttpResponse>;
  close(): void;
}

/**
 * A keep-alive client on `node:http` (autocannon is not a dependency, and undici is not importable
 * on Node 20): at most `connections` sockets, each reused, so N lanes mean N open connections.
 */
export function createHttpClient(baseUrl: string, { connections }: { connections: number }): HttpClient {
  const url = new URL(baseUrl);
  if (url.hostname !== '127.0.0.1') throw new Error(`the bench only sends traffic to 127.0.0.1, not ${url.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  return {
    request({ method, path, token, body }) {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      return new Promise((resolve, reject) => {
        const start = process.hrtime.bigint();
        const req = http.request({ host: url.hostname, port: url.port, method, path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: elapsedMs(start) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
