import Type, { type TProperties } from 'typebox';

/** Bodies refuse unknown fields (400 naming them) rather than dropping them silently. */
export const StrictObject = <T extends TProperties>(properties: T, options: { description?: string } = {}) =>
  Type.Object(properties, { additionalProperties: false, ...options });

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const DateString = Type.String({ format: 'date', description: 'YYYY-MM-DD, Asia/Shanghai' });
export const DateTimeString = Type.String({ format: 'date-time' });

export const FieldErrorSchema = Type.Object({
  field: Type.Optional(Type.String()),
  row: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.String()),
  value: Type.Optional(Type.Unknown()),
  message: Type.String(),
  suggestions: Type.Optional(Type.Array(Type.String())),
});

/** RFC 9457 problem document, with our stable `code` and the request id. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    code: Type.String({ description: 'stable dotted code, e.g. tickets.not_found' }),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { additionalProperties: true },
);

/** An import's refusal: the first 1,000 row errors and their total, or the limit the file went over. */
export const ImportProblemSchema = Type.Object(
  {
    ...ProblemSchema.properties,
    totalErrors: Type.Optional(Type.Integer({ description: 'all the errors found; `errors` lists the first 1,000' })),
    limit: Type.Optional(Type.Integer({ description: 'the limit the file went over: bytes, rows, characters or levels, as `code` says' })),
  },
  { additionalProperties: true },
);

/** The 413 and 422 answers of an import route. */
export const importProblemResponses = { 413: ImportProblemSchema, 422: ImportProblemSchema };

/** Response schemas for the error statuses a route documents. */
export const problemResponses = (...statuses: number[]): Record<number, typeof ProblemSchema> =>
  Object.fromEntries(statuses.map((s) => [s, ProblemSchema]));

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};

/** A string from a fixed list, as a plain JSON Schema `enum` (clear validation messages, exact static type). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
