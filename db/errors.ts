/** The PostgreSQL error behind a driver or drizzle error (drizzle wraps it in `cause`). */
export function pgError(error: unknown): { code: string; constraint?: string; detail?: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const candidate = current as { code?: unknown; constraint?: unknown; detail?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return {
        code: candidate.code,
        ...(typeof candidate.constraint === 'string' ? { constraint: candidate.constraint } : {}),
        ...(typeof candidate.detail === 'string' ? { detail: candidate.detail } : {}),
      };
    }
    current = candidate.cause;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown, constraint?: string): boolean => {
  const e = pgError(error);
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
};

/** Connection-level failures (server down, restarting): the request may succeed if retried later. */
export function isConnectionError(error: unknown): boolean {
  const e = pgError(error);
  if (e) return e.code.startsWith('08') || e.code === '57P01' || e.code === '57P03';
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const c = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (c.code === 'ECONNREFUSED' || c.code === 'ECONNRESET' || c.code === 'EPIPE' || c.code === 'ETIMEDOUT') return true;
    if (typeof c.message === 'string' && /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed/i.test(c.message)) return true;
    current = c.cause;
  }
  return false;
}
