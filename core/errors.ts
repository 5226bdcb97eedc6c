/** One field-level problem, as listed in a problem+json `errors` array. */
export interface FieldError {
  /** JSON pointer or dotted path of the field (body), or the query/param name. */
  field?: string;
  /** For imports: the 1-based data row and the column header as the file names it. */
  row?: number;
  column?: string;
  value?: unknown;
  message: string;
  suggestions?: string[];
}

export interface AppErrorOptions {
  status: number;
  code: string;
  title: string;
  detail?: string;
  errors?: FieldError[];
  /** Extra members for the problem document (e.g. `state`, `allowedEvents` on a 409). */
  extra?: Record<string, unknown>;
  cause?: unknown;
}

/** The one error type the application throws on purpose; the error handler renders it as problem+json. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(options: AppErrorOptions) {
    super(options.detail ?? options.title, { cause: options.cause });
    this.name = 'AppError';
    this.status = options.status;
    this.code = options.code;
    this.title = options.title;
    this.detail = options.detail;
    this.errors = options.errors;
    this.extra = options.extra;
  }
}

type Details = Omit<AppErrorOptions, 'status' | 'title' | 'code'> & { title?: string };

const factory =
  (status: number, defaultTitle: string) =>
  (code: string, detail?: string, more: Omit<Details, 'detail'> = {}) =>
    new AppError({ status, code, title: more.title ?? defaultTitle, detail, ...more });

export const badRequest = factory(400, '请求无效');
export const unauthorized = factory(401, '未登录或登录已失效');
export const forbidden = factory(403, '无权执行此操作');
export const notFound = factory(404, '未找到');
export const conflict = factory(409, '与当前状态冲突');
export const unprocessable = factory(422, '内容无法处理');
export const tooManyRequests = factory(429, '请求过于频繁');
export const serviceUnavailable = factory(503, '服务暂不可用');
