import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, badRequest } from '../../core/errors.js';

/** Deeper than any body Rectify takes (a JSON import is 3 levels, a bulk request 4), far below what recursion survives. */
export const MAX_JSON_DEPTH = 32;

type Where = 'body' | 'querystring' | 'params';

const fieldName = (where: Where, path: string) => (where === 'body' ? path || '(body)' : `${where}.${path}`.replace(/\.$/, ''));

/**
 * Looks through what the client sent before anything else does: nesting deeper than
 * MAX_JSON_DEPTH (the schema validator and the import recurse over it), and NUL characters,
 * which PostgreSQL text cannot hold. Iterative, so a body 100,000 levels deep costs a loop.
 */
export function checkInput(where: Where, value: unknown): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value: current, path, depth } = item;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) {
        throw badRequest('request.nul_character', `${fieldName(where, path)} 含有空字符（U+0000），无法保存。`, {
          errors: [{ field: fieldName(where, path), message: '不能含有空字符（U+0000）' }],
        });
      }
      continue;
    }
    if (typeof current !== 'object' || current === null || Buffer.isBuffer(current)) continue;
    if (depth >= MAX_JSON_DEPTH) {
      throw new AppError({
        status: 422,
        code: 'request.too_deep',
        title: '请求内容嵌套过深',
        detail: `JSON 嵌套不能超过 ${MAX_JSON_DEPTH} 层。`,
        errors: [{ field: fieldName(where, path), message: `嵌套超过 ${MAX_JSON_DEPTH} 层` }],
        extra: { limit: MAX_JSON_DEPTH },
      });
    }
    for (const [key, child] of Object.entries(current)) {
      if (key.includes('\u0000')) stack.push({ value: key, path, depth });
      stack.push({ value: child, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
}

export const inputGuardPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('preValidation', async (request: FastifyRequest) => {
      checkInput('params', request.params);
      checkInput('querystring', request.query);
      checkInput('body', request.body);
    });
  },
  { name: 'input-guard' },
);
