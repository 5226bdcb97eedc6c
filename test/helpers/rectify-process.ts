import { spawn, type ChildProcessByStdio } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A port nobody listens on right now: the OS picks it, we release it and hand it on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Thrown from a `waitFor` condition: the condition can no longer come true, stop waiting now. */
export class GiveUp extends Error {
  override name = 'GiveUp';
}

/**
 * Waits for `condition` to hold, checking every `intervalMs`; fails with `what` once `timeoutMs`
 * has passed. Errors thrown by the condition count as "not yet" (a server still starting refuses
 * connections), except `GiveUp`.
 */
export async function waitFor<T>(what: string, condition: () => Promise<T | undefined | false>, { timeoutMs = 60_000, intervalMs = 50 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`gave up waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface RectifyProcess {
  pid: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL: no handler runs, nothing is flushed or closed. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the graceful shutdown; SIGKILL if it hangs. */
  stop(): Promise<void>;
}

/**
 * `node bin/rectify serve` as a separate process, exactly as an operator starts it, once GET
 * /readyz answers 200. `env` is the whole environment the child sees besides PATH and HOME, so
 * nothing of the test runner's leaks in (DATABASE_URL above all: its absence selects the embedded
 * database).
 */
export async function startRectifyProcess(env: Record<string, string>, { args = ['serve'], timeoutMs = 90_000 } = {}): Promise<RectifyProcess> {
  for (let attempt = 1; ; attempt++) {
    const child = spawnRectify(env, args, await freePort());
    try {
      await child.ready(timeoutMs);
      return child;
    } catch (error) {
      await child.kill();
      // The free port was taken by someone else before the child bound it: pick another.
      if (attempt < 3 && child.output().includes('EADDRINUSE')) continue;
      throw error;
    }
  }
}

function spawnRectify(env: Record<string, string>, args: string[], port: number): RectifyProcess & { ready(timeoutMs: number): Promise<void> } {
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TZ: 'UTC',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SWEEP_INTERVAL_S: '0',
    ...env,
  };
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, [path.join(repoRoot, 'bin/rectify'), ...args], {
    cwd: repoRoot,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start node bin/rectify');
  let ended = false;
  void exited.then(() => (ended = true));
  const url = `http://127.0.0.1:${port}`;

  return {
    pid,
    url,
    output: () => output,
    exited,
    async ready(timeoutMs) {
      await waitFor(
        `${url}/readyz`,
        async () => {
          if (ended) throw new GiveUp('rectify exited before it was ready');
          const response = await fetch(`${url}/readyz`);
          return response.status === 200;
        },
        { timeoutMs, intervalMs: 100 },
      ).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- rectify output ---\n${output}`);
      });
    },
    async kill() {
      if (!ended) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (ended) return;
      child.kill('SIGTERM');
      const hung = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(hung);
    },
  };
}

export interface HttpResult {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
}

/** One request to a running server over real HTTP; a JSON body unless `contentType` says otherwise. */
export async function httpCall(
  baseUrl: string,
  method: string,
  url: string,
  { token, body, contentType = 'application/json' }: { token?: string; body?: unknown; contentType?: string } = {},
): Promise<HttpResult> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the text is the body.
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: parsed, text };
}

/** Logs in as `username` over HTTP and returns the bearer token. */
export async function httpLogin(baseUrl: string, username: string, password: string): Promise<string> {
  const response = await httpCall(baseUrl, 'POST', '/api/auth/login', { body: { username, password } });
  const token = (response.body as { token?: unknown }).token;
  if (response.status !== 200 || typeof token !== 'string') throw new Error(`login ${username}: ${response.status} ${response.text}`);
  return token;
}
