import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isConnectionError, pgError } from '../../db/errors.js';
import { AppError, serviceUnavailable, type FieldError } from '../../core/errors.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const validationMessages: Record<string, (e: AjvError) => string> = {
  required: (e) => `缺少必填字段 ${String(e.params.missingProperty)}`,
  additionalProperties: (e) => `不接受未知字段 ${String(e.params.additionalProperty)}`,
  type: (e) => `类型应为 ${String(e.params.type)}`,
  format: (e) => `格式应为 ${String(e.params.format)}`,
  minLength: (e) => `长度不能少于 ${String(e.params.limit)}`,
  maxLength: (e) => `长度不能超过 ${String(e.params.limit)}`,
  minimum: (e) => `不能小于 ${String(e.params.limit)}`,
  maximum: (e) => `不能大于 ${String(e.params.limit)}`,
  minItems: (e) => `至少需要 ${String(e.params.limit)} 项`,
  maxItems: (e) => `最多 ${String(e.params.limit)} 项`,
  enum: (e) => `取值应为 ${JSON.stringify(e.params.allowedValues)} 之一`,
  const: (e) => `取值应为 ${JSON.stringify(e.params.allowedValue)}`,
  pattern: () => '格式不正确',
  // A union told apart by a property (the ticket events by `type`): missing, or naming no variant.
  discriminator: (e) => (e.params.tagValue === undefined ? `缺少必填字段 ${String(e.params.tag)}` : `${JSON.stringify(e.params.tagValue)} 不是可接受的取值`),
};

function fieldOf(context: string | undefined, e: AjvError): string {
  const extra =
    e.keyword === 'required'
      ? `/${String(e.params.missingProperty)}`
      : e.keyword === 'additionalProperties'
        ? `/${String(e.params.additionalProperty)}`
        : e.keyword === 'discriminator'
          ? `/${String(e.params.tag)}`
          : '';
  const pointer = `${e.instancePath}${extra}`.replace(/^\//, '').replaceAll('/', '.');
  return context && context !== 'body' ? `${context}.${pointer}`.replace(/\.$/, '') : pointer || '(body)';
}

/** Collapses ajv's anyOf/oneOf noise to one message per field. */
function toFieldErrors(context: string | undefined, errors: AjvError[]): FieldError[] {
  const byField = new Map<string, FieldError>();
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const field = fieldOf(context, e);
    if (byField.has(field)) continue;
    const message = validationMessages[e.keyword]?.(e) ?? e.message ?? '取值无效';
    byField.set(field, { field, message });
  }
  const first = errors[0];
  if (byField.size === 0 && first) byField.set('', { field: fieldOf(context, first), message: first.message ?? '取值无效' });
  return [...byField.values()];
}

/** The RFC 9457 document for an AppError (also used per item by bulk endpoints). */
export function problemOf(request: FastifyRequest, error: AppError) {
  return {
    type: `https://rectify.invalid/problems/${error.code}`,
    title: error.title,
    status: error.status,
    ...(error.detail ? { detail: error.detail } : {}),
    code: error.code,
    instance: request.url,
    requestId: request.id,
    ...(error.errors ? { errors: error.errors } : {}),
    ...error.extra,
  };
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  return reply.code(error.status).type('application/problem+json; charset=utf-8').send(problemOf(request, error));
}

function fromFastifyError(error: FastifyError, request: FastifyRequest): AppError | undefined {
  if (error.validation) {
    const errors = toFieldErrors(error.validationContext, error.validation as AjvError[]);
    return new AppError({
      status: 400,
      code: 'request.validation_failed',
      title: '请求内容不符合要求',
      detail: errors.map((e) => `${e.field}: ${e.message}`).join('；'),
      errors,
    });
  }
  const status = error.statusCode ?? 500;
  if (status === 429) {
    return new AppError({ status, code: 'request.rate_limited', title: '请求过于频繁', detail: '请稍后再试。' });
  }
  if (error.code?.startsWith('FST_JWT_') || error.code === 'FST_JWT_NO_AUTHORIZATION_IN_HEADER') {
    return new AppError({ status: 401, code: 'auth.unauthenticated', title: '未登录或登录已失效', detail: '请重新登录。' });
  }
  if (status === 413) {
    const limit = request.routeOptions.bodyLimit;
    return new AppError({
      status,
      code: 'request.too_large',
      title: '请求内容过大',
      ...(limit ? { detail: `请求内容不能超过 ${Math.round((limit / 1024 / 1024) * 10) / 10} MB。`, extra: { limit } } : {}),
    });
  }
  if (status === 415) return new AppError({ status, code: 'request.unsupported_media_type', title: '不支持的内容类型', detail: error.message });
  if (status >= 400 && status < 500) {
    return new AppError({ status, code: 'request.invalid', title: '请求无效', detail: error.message });
  }
  return undefined;
}

/**
 * Fastify's `frameworkErrors` option: a URL the router cannot read (malformed percent-encoding, a
 * path parameter longer than `maxParamLength`) is refused before any route, hook or the error
 * handler below runs, so it is rendered here.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  sendProblem(
    request,
    reply,
    new AppError({
      status: tooLong ? 414 : 400,
      code: tooLong ? 'request.url_too_long' : 'request.bad_url',
      title: '请求地址无效',
      detail: tooLong ? '地址中的参数过长。' : '地址中有无法解码的字符（% 编码不正确）。',
    }),
  );
}

function badRequestOf(sqlState: string): AppError {
  return new AppError({
    status: 400,
    code: 'request.invalid_value',
    title: '请求内容不符合要求',
    detail: sqlState === '54000' ? '某个取值过长，无法保存。' : '某个取值超出允许范围或格式不正确，无法保存。',
    extra: { sqlState },
  });
}

/**
 * Any error as the AppError the client sees, logged as it deserves: the handler below renders it,
 * and bulk endpoints put it on the one item it belongs to.
 */
export function toAppError(error: unknown, request: FastifyRequest): AppError {
  const appError = error instanceof AppError ? error : fromFastifyError(error as FastifyError, request);
  if (appError) {
    if (appError.status >= 500) request.log.error({ err: error }, appError.title);
    return appError;
  }
  if (isConnectionError(error)) {
    // The database went away under the request: its transaction is rolled back by the server; the client may retry.
    request.log.warn({ err: error }, 'database unavailable');
    return serviceUnavailable('database.unavailable', '数据库暂时无法访问，请稍后重试。');
  }
  const dataProblem = pgError(error)?.code;
  if (dataProblem && (dataProblem.startsWith('22') || dataProblem === '54000')) {
    // A value the database cannot take (out of range, too long for an index, bad encoding) that
    // no check before it caught: the client's input, so 400; logged to add the missing check.
    request.log.warn({ err: error }, 'input refused by the database');
    return badRequestOf(dataProblem);
  }
  request.log.error({ err: error }, 'unexpected error');
  return new AppError({ status: 500, code: 'internal', title: '服务器内部错误', detail: `请联系管理员，并告知请求编号 ${request.id}。` });
}

/** The one place errors become `application/problem+json`; anything unexpected is logged and masked as 500. */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const appError = toAppError(error, request);
      if (appError.code === 'database.unavailable') reply.header('retry-after', '5');
      return sendProblem(request, reply, appError);
    });
    app.setNotFoundHandler((request, reply) =>
      sendProblem(request, reply, new AppError({ status: 404, code: 'route.not_found', title: '未找到', detail: `${request.method} ${request.url} 不存在。` })),
    );
  },
  { name: 'error-handler' },
);
