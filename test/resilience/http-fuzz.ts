// SPEC "HTTP API": bad input answers 4xx, never 5xx, and errors are application/problem+json.
// Every route the OpenAPI document lists (plus the hidden documentation routes) gets generated
// requests: bodies shaped by the route's own schema with wrong types mixed in, arbitrary JSON,
// huge strings, deep nesting, invalid UTF-8, CSV garbage; query strings with the route's own
// parameter names and others; content types and Authorization headers of every kind; path
// parameters that exist and that do not. Unauthenticated and as admin, supervisor and officer.
// Shared by http-fuzz.test.ts (a few requests per route, in `npm test`) and
// http-fuzz.slow.test.ts (many more, with other seeds, once in .ci/run).

import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../db/schema/index.js';
import { ADMIN_PASSWORD, buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { PASSWORD, createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  $ref?: string;
}

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  schema?: JsonSchema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

interface Route {
  method: string;
  /** OpenAPI form: /api/tickets/{id} */
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body: JsonSchema | undefined;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

let t: TestApp;
let tokens: Record<string, string>;
let existingIds: number[] = [];
const seededRoles: Record<string, Role> = { admin: 'admin', 'gov-sup': 'supervisor', 'wjw-off': 'officer', 'ah-sup': 'supervisor' };

/** The app on a fresh database, with the seeded organisation, an inspection and three tickets. */
function useFuzzedApp(): void {
  beforeAll(async () => {
    t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
    ({ tokens } = await seedOrganisation(t));
    const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
    const issued = await issueFindings(t, inspection.id, [
      { unitCode: 'YY-WJW', targetName: '健康益阳' },
      { unitCode: 'AH-GL', targetName: '印象古楼' },
      { unitCode: 'YY-JTJ', targetName: '益阳交通' },
    ]);
    const ticketIds = issued.tickets.map((ticket) => ticket.id);
    const notificationIds = (await t.services.notifications.listForTicket({ ticketId: ticketIds[0] ?? 0 })).map((n) => n.id);
    existingIds = [...new Set([1, 2, inspection.id, ...ticketIds, ...notificationIds])];
  });
  afterAll(() => t?.close());
}

function routesOf(document: OpenApiDocument): Route[] {
  const resolve = (schema: JsonSchema | undefined): JsonSchema | undefined => {
    const ref = schema?.$ref?.replace('#/components/schemas/', '');
    return ref ? document.components?.schemas?.[ref] : schema;
  };
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = (operation.parameters ?? []).map((p) => ({ ...p, schema: resolve(p.schema) }));
      routes.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path'),
        queryParams: parameters.filter((p) => p.in === 'query'),
        body: resolve(operation.requestBody?.content?.['application/json']?.schema),
      });
    }
  }
  // Registered with `hide: true`, so absent from the document, yet served all the same.
  routes.push({ method: 'GET', path: '/openapi.json', pathParams: [], queryParams: [], body: undefined });
  routes.push({ method: 'GET', path: '/docs', pathParams: [], queryParams: [], body: undefined });
  return routes;
}

// Values from the seeded organisation and the notice, so generated requests also reach past the
// lookups into the handlers.
const domainStrings = fc.constantFrom(
  'YY-WJW', 'YY-GOV', 'AH-GL', 'ROOT', 'admin', 'gov-sup', 'wjw-off', '益阳市卫生健康委员会', '市卫生健康委', '安化县',
  '互动回应差', '监测时间点前2周内无更新', 'wechat_subscription', 'new_media', 'website', 'city_department', 'issued',
  '2021-2', '2021-06-25', '2021-06-25T15:59:59.999Z', 'wjw@example.gov.cn', 'https://www.yiyang.gov.cn/', 'password-for-tests',
);
const hugeString = fc.integer({ min: 10_000, max: 300_000 }).map((n) => '长'.repeat(n));
const oddStrings = fc.constantFrom('', ' ', '\u0000', '\ud800', '💥', '%00', '../..', 'null', 'undefined', 'NaN', '-0', '1e309', "'; drop table tickets; --", '<script>x</script>');
const anyString = fc.oneof(
  { weight: 3, arbitrary: domainStrings },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: oddStrings },
  { weight: 1, arbitrary: hugeString },
);
const anyInteger = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 1, 2, 2_147_483_647, 2_147_483_648, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e21),
  fc.constant(null).chain(() => fc.constantFrom(...existingIds)),
);
const dates = fc.oneof(
  fc.constantFrom('2021-06-25', '2021-06-17', '2021-02-29', '2024-02-29', '0001-01-01', '9999-12-31', '2021-13-01', '2021-06-31', '1900-01-01', '2021-6-5'),
  fc.date({ min: new Date('1000-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);
const instants = fc.oneof(
  fc.constantFrom('2021-06-25T15:59:59.999Z', '2021-06-25T24:00:00Z', '2021-06-25T00:00:00+08:00', '275760-09-13T00:00:00Z', '2021-06-25T99:99:99Z'),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
/** JSON of any shape, for fields that expect something else. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 2, arbitrary: anyString },
  { weight: 1, arbitrary: anyInteger },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': 1 }, 0.5, -1) },
);

/** A value for `schema`: mostly one it accepts (or nearly), sometimes anything at all. */
function valueFor(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 5) return wrongValue;
  return fc.oneof({ weight: 6, arbitrary: validishValue(schema, depth) }, { weight: 1, arbitrary: wrongValue });
}

function validishValue(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (variants && variants.length > 0) return fc.oneof(...variants.map((v) => valueFor(v, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format === 'date') return fc.oneof({ weight: 4, arbitrary: dates }, { weight: 1, arbitrary: anyString });
      if (schema.format === 'date-time') return fc.oneof({ weight: 4, arbitrary: instants }, { weight: 1, arbitrary: anyString });
      const patterned = schema.pattern ? stringMatching(schema.pattern) : undefined;
      const sized = fc.string({ minLength: Math.min(schema.minLength ?? 0, 50), maxLength: Math.max(Math.min(schema.maxLength ?? 40, 40), schema.minLength ?? 0) });
      return patterned ? fc.oneof({ weight: 3, arbitrary: patterned }, { weight: 1, arbitrary: anyString }) : fc.oneof(anyString, sized);
    }
    case 'integer':
      return fc.oneof(fc.integer({ min: schema.minimum ?? -1_000, max: Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER) }), anyInteger);
    case 'number':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), anyInteger);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valueFor(schema.items, depth + 1), { maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      if (properties.length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), wrongValue, { maxKeys: 3 });
      const record = fc.record(Object.fromEntries(properties.map(([key, property]) => [key, valueFor(property, depth + 1)])), {
        requiredKeys: (schema.required ?? []).filter((key) => key in (schema.properties ?? {})),
      });
      // Now and then a required field missing, or a field nobody declared.
      return fc.tuple(record, fc.option(fc.string({ maxLength: 12 }), { freq: 5 }), fc.option(wrongValue, { freq: 2 })).map(([value, extraKey, extraValue]) => {
        const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
        if (extraKey !== null) copy[extraKey] = extraValue;
        return copy;
      });
    }
    default:
      return wrongValue;
  }
}

function stringMatching(pattern: string): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern)).filter((s) => s.length <= 200);
  } catch {
    return undefined;
  }
}

/** Percent-encodes the UTF-8 bytes; unlike encodeURIComponent it takes lone surrogates too (as U+FFFD). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** A path parameter: an id or code that exists, one that does not, or something that is not one at all. */
function pathValue(parameter: Parameter): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: validishValue(parameter.schema ?? {}, 0).map((v) => percentEncode(typeof v === 'string' ? v : JSON.stringify(v) ?? '')) },
    { weight: 2, arbitrary: fc.constantFrom(...existingIds.map(String), 'YY-WJW', 'ROOT', '2021-06-25') },
    { weight: 2, arbitrary: anyString.filter((s) => s.length < 5_000).map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom('%ZZ', '%E4%B8', '%', '99999999999999999999999', '-1', '0', '1.5', '1e3', '0x10', '%2F..%2F', '%00') },
  );
}

function queryString(route: Route): fc.Arbitrary<string> {
  const own = route.queryParams.map((p) => fc.tuple(fc.constant(p.name), valueFor(p.schema)));
  const names = fc.constantFrom('limit', 'cursor', 'state', 'unit', 'inspection', 'overdue', 'escalated', 'q', 'format', 'status', 'year', 'from', 'to', 'x');
  const foreign = fc.tuple(fc.oneof(names, fc.string({ maxLength: 10 })), wrongValue);
  const pairs = fc.array(own.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.oneof(...own) }, { weight: 1, arbitrary: foreign }) : foreign, { maxLength: 5 });
  const encoded = pairs.map((list) => {
    const params = new URLSearchParams();
    for (const [name, value] of list) params.append(name, typeof value === 'string' ? value : JSON.stringify(value) ?? '');
    const text = params.toString();
    return text ? `?${text}` : '';
  });
  return fc.oneof(
    { weight: 6, arbitrary: encoded },
    { weight: 1, arbitrary: fc.constantFrom('?limit=%ZZ', '?limit[]=1&limit[]=2', '?cursor=eyJ4Ijp9', '?state=issued,nonsense', '?&&==&', '?q=%E4%B8', `?cursor=${'A'.repeat(5000)}`) },
  );
}

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=gb18030',
  'text/csv',
  'text/csv; charset=gb18030',
  'text/plain',
  'application/octet-stream',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-excel',
  'multipart/form-data',
  'multipart/form-data; boundary=----fuzz',
  'application/x-www-form-urlencoded',
  'application/xml',
  'application/problem+json',
  'text/html',
  '*/*',
  'application/',
  ';;;',
);

const csvGarbage = fc
  .array(fc.array(fc.oneof(fc.string({ maxLength: 12 }), domainStrings, fc.constantFrom('"', '""', '"a,b', '\r', '序号', '账号名称', '开设主体')), { maxLength: 8 }), { maxLength: 12 })
  .map((rows) => ['序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间', ...rows.map((r) => r.join(','))].join('\n'));

const deepNesting = fc.integer({ min: 1_000, max: 100_000 }).chain((depth) =>
  fc.constantFrom('['.repeat(depth) + ']'.repeat(depth), '{"a":'.repeat(depth) + '1' + '}'.repeat(depth), '['.repeat(depth)),
);

interface Payload {
  bytes: string | Buffer | undefined;
  /** The content type that fits the payload; the request may send another. */
  natural: string | undefined;
}

function payloadFor(route: Route): fc.Arbitrary<Payload> {
  const json = (value: unknown): Payload => ({ bytes: JSON.stringify(value) ?? 'null', natural: 'application/json' });
  const fieldNames = Object.keys(route.body?.properties ?? {});
  const ownNames = fieldNames.length > 0 ? fc.constantFrom(...fieldNames) : fc.string({ maxLength: 10 });
  return fc.oneof(
    { weight: 8, arbitrary: valueFor(route.body).map(json) },
    { weight: 2, arbitrary: fc.constant<Payload>({ bytes: undefined, natural: undefined }) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json) },
    { weight: 2, arbitrary: fc.dictionary(fc.oneof(ownNames, fc.string({ maxLength: 10 })), wrongValue, { maxKeys: 6 }).map(json) },
    { weight: 1, arbitrary: hugeString.map((s) => json({ [fieldNames[0] ?? 'title']: s })) },
    { weight: 1, arbitrary: deepNesting.map((bytes) => ({ bytes, natural: 'application/json' })) },
    { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), Buffer.from([0xef, 0xbb, 0xbf, 0xff, 0xd8, 0x2c, 0x0a, 0xe4, 0xb8])).map((bytes) => ({ bytes, natural: 'text/csv' })) },
    { weight: 2, arbitrary: csvGarbage.map((bytes) => ({ bytes, natural: 'text/csv' })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => ({ bytes: Buffer.from(a), natural: 'application/octet-stream' })) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '"x"', '[]', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '------fuzz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n序号\r\n------fuzz--').map((bytes) => ({ bytes, natural: 'application/json' })) },
  );
}

/** An HS256 token as a client could forge it, with a key that is not the server's. */
function signedWith(key: string, claims: object): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ ...claims, iat: Math.floor(Date.now() / 1000) })}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

/** Who is asking: nobody, each role, and Authorization values that are not valid sessions. */
function bearer(): fc.Arbitrary<string | undefined> {
  const forged = signedWith('not-the-server-secret-but-long-enough-32b', { sub: '1', role: 'admin' });
  const [header = '', payload = ''] = (tokens.admin ?? '').split('.');
  const unsigned = `${header}.${payload}.`;
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: fc.constant(`Bearer ${tokens.admin}`) },
    { weight: 1, arbitrary: fc.constantFrom(`Bearer ${tokens['gov-sup']}`, `Bearer ${tokens['wjw-off']}`, `Bearer ${tokens['ah-sup']}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', 'Bearer x.y.z', 'Basic YWRtaW46YWRtaW4=', `bearer ${tokens.admin}`, `Bearer ${forged}`, `Bearer ${unsigned}`, `Bearer ${tokens.admin}x`, 'Bearer \u00ff\u00fe'),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[\r\n]/g, '')}`) },
  );
}

/** The headers that say who is asking: a bearer token, or the browser's session cookie with or without its same-origin header. */
function authorization(): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 6, arbitrary: bearer().map((value): Record<string, string> => (value === undefined ? {} : { authorization: value })) },
    {
      weight: 1,
      arbitrary: fc
        .record({
          token: fc.constantFrom(tokens.admin ?? '', tokens['wjw-off'] ?? '', 'x.y.z', `${tokens.admin ?? ''}; rectify_session=other`),
          csrf: fc.constantFrom(undefined, '1', '0'),
        })
        .map(({ token, csrf }): Record<string, string> => ({ cookie: `rectify_session=${token}`, ...(csrf === undefined ? {} : { 'x-rectify-request': csrf }) })),
    },
  );
}

interface GeneratedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: string | Buffer | undefined;
}

function requestFor(route: Route): fc.Arbitrary<GeneratedRequest> {
  const path = fc.tuple(...route.pathParams.map((p) => pathValue(p))).map((values) =>
    route.pathParams.reduce((url, parameter, i) => url.replace(`{${parameter.name}}`, values[i] ?? ''), route.path),
  );
  return fc
    .record({
      path,
      query: queryString(route),
      payload: payloadFor(route),
      contentType: fc.option(contentTypes, { freq: 3 }),
      auth: authorization(),
      accept: fc.option(fc.constantFrom('application/json', 'text/csv', '*/*', 'application/xml', 'garbage'), { freq: 2 }),
      // Now and then a method the path does not have.
      method: fc.oneof({ weight: 12, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') }),
    })
    .map(({ path, query, payload, contentType, auth, accept, method }) => {
      const headers: Record<string, string> = { ...auth };
      if (accept !== null) headers.accept = accept;
      // The fitting content type most of the time, so bodies get past the parser into validation.
      const type = contentType ?? payload.natural;
      if (type !== undefined) headers['content-type'] = type;
      return { method, url: `${path}${query}`, headers, payload: payload.bytes };
    });
}

/** The request in a line, long runs of one character shortened, for the failure message. */
function preview(request: GeneratedRequest): string {
  const shorten = (text: string) => text.replace(/(.)\1{19,}/gsu, (run, char: string) => `${char}×${[...run].length}`).slice(0, 400);
  const body = request.payload === undefined ? '' : Buffer.isBuffer(request.payload) ? `<${request.payload.length} bytes: ${request.payload.toString('hex').slice(0, 80)}>` : shorten(request.payload);
  return `${request.method} ${shorten(request.url)} ${shorten(JSON.stringify(request.headers))} ${body}`;
}

/** Each seeded user active again, with its known password and role, and signed in anew. */
async function freshSessions(): Promise<Record<string, string>> {
  const fresh: Record<string, string> = {};
  for (const [username, role] of Object.entries(seededRoles)) {
    const user = await t.services.users.findPublic({ username });
    if (!user) throw new Error(`no user ${username}`);
    await t.services.directory.updateUser({ id: user.id, patch: { active: true, role }, actor: null });
    await t.services.directory.resetPassword({ id: user.id, password: username === 'admin' ? ADMIN_PASSWORD : PASSWORD, actor: null });
    fresh[username] = await t.login(username, username === 'admin' ? ADMIN_PASSWORD : PASSWORD);
  }
  return fresh;
}

function describeGeneratedRequests(runsPerRoute: number, baseSeed: number): void {
  describe('every route, under generated requests', { timeout: 300_000 }, () => {
    it('never answers 5xx, and answers every 4xx as application/problem+json', async () => {
      // Routes that end sessions or change the seeded accounts (logout, password changes and resets,
      // deactivation, role changes) run last, each with fresh sessions, so they do not turn every
      // later request into a 401.
      const ending = (route: Route) => /^\/api\/(auth\/logout|me\/password|users\/\{id\})/.test(route.path) && route.method !== 'GET';
      const all = routesOf(t.app.swagger() as unknown as OpenApiDocument);
      const routes = [...all.filter((route) => !ending(route)), ...all.filter(ending)];
      // The SPEC's API table, at the least; a route missing from the document would go unfuzzed.
      expect(routes.length).toBeGreaterThanOrEqual(28);
      const failures: string[] = [];
      let sent = 0;
      for (const [index, route] of routes.entries()) {
        if (ending(route)) tokens = await freshSessions();
        const property = fc.asyncProperty(requestFor(route), async (request) => {
          sent += 1;
          const options: InjectOptions = {
            method: request.method as NonNullable<InjectOptions['method']>,
            url: request.url,
            headers: request.headers,
            ...(request.payload === undefined ? {} : { payload: request.payload }),
          };
          const response = await t.app.inject(options);
          const answer = `${response.statusCode} ${String(response.headers['content-type'])} ${response.body.slice(0, 600)}`;
          if (response.statusCode >= 500) throw new Error(answer);
          if (response.statusCode >= 400 && !String(response.headers['content-type'] ?? '').startsWith('application/problem+json')) throw new Error(answer);
        });
        const seed = baseSeed + index;
        // No shrinking: the database changes between runs, so a shrunk request need not fail the same way.
        const result = await fc.check(property, { seed, numRuns: runsPerRoute, endOnFailure: true });
        if (result.failed) {
          const example = result.counterexample?.[0];
          failures.push(
            `${route.method} ${route.path} (seed ${seed}, path ${result.counterexamplePath ?? ''}):\n  request  ${example ? preview(example) : '?'}\n  response ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`,
          );
        }
      }
      expect(failures, `base seed ${baseSeed}; replay with FUZZ_SEED=${baseSeed}`).toEqual([]);
      expect(sent).toBeGreaterThanOrEqual(routes.length * runsPerRoute);
    });
  });
}

// Issue #11 item 7: the values that once answered 500, sent deliberately to every route as every
// role: NUL characters in every text field, impossible dates, names too long for an index, numbers
// beyond 32 bits, crafted cursors, 20,000 levels of nesting, and tokens with a malformed subject.
function describeKnownValues(): void {
  describe('every route and role, with the values that once answered 500', { timeout: 300_000 }, () => {
    const NUL = '整改\u0000说明';
    // Varied characters: a run of one character compresses, and then fits in an index after all.
    const longName = Array.from({ length: 3_000 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20_000))).join('');
    const hostileStrings = [NUL, '2030-02-30', '2030-02-30T12:00:00+08:00', longName, '99999999999'];
    const cursorOf = (list: string, key: unknown) => Buffer.from(JSON.stringify({ l: list, k: key })).toString('base64url');
    const craftedCursors = ['tickets', 'overdue', 'notifications', 'inspections', 'units', 'users'].flatMap((list) => [
      cursorOf(list, ['2021-06-25T15:59:59.999Z', 2_147_483_648]),
      cursorOf(list, ['275760-09-13T00:00:00.000Z', 1]),
      cursorOf(list, ['-271821-04-20T00:00:00.000Z', 1]),
      cursorOf(list, 2_147_483_648),
      cursorOf(list, 1e300),
      cursorOf(list, 'YY-\u0000'),
      cursorOf(list, ['2021-06-25T15:59:59.999Z\u0000', 1]),
    ]);
    const deep = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);

    function roles(): [string, string | undefined][] {
      const sign = (sub: string) => `Bearer ${t.app.jwt.sign({ sub, role: 'admin', jti: 'crafted' })}`;
      return [
        ['nobody', undefined],
        ['admin', `Bearer ${tokens.admin}`],
        ['supervisor', `Bearer ${tokens['gov-sup']}`],
        ['county supervisor', `Bearer ${tokens['ah-sup']}`],
        ['officer', `Bearer ${tokens['wjw-off']}`],
        ['token with sub "abc"', sign('abc')],
        ['token with sub beyond 32 bits', sign('99999999999')],
        ['token with sub "1\\u0000"', sign('1\u0000')],
      ];
    }

    /** Bodies for `schema` with every text field set to `text`: one per value of the first enum (e.g. each event type). */
    function bodiesFor(schema: JsonSchema | undefined, text: string, depth = 0): unknown[] {
      if (!schema || depth > 5) return [text];
      if (schema.const !== undefined) return [schema.const];
      if (schema.enum && schema.enum.length > 0) return schema.enum;
      const variants = schema.anyOf ?? schema.oneOf;
      if (variants) return variants.flatMap((v) => bodiesFor(v, text, depth + 1));
      const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
      switch (type) {
        case 'string':
          return [text];
        case 'integer':
        case 'number':
          return [existingIds[0] ?? 1];
        case 'boolean':
          return [true];
        case 'array':
          return [bodiesFor(schema.items, text, depth + 1).slice(0, 3)];
        case 'object': {
          let bodies: Record<string, unknown>[] = [{}];
          for (const [key, property] of Object.entries(schema.properties ?? {})) {
            const values = bodiesFor(property, text, depth + 1);
            bodies = values.length > 1 && bodies.length === 1 ? values.map((value) => ({ ...bodies[0], [key]: value })) : bodies.map((body) => ({ ...body, [key]: values[0] }));
          }
          return bodies;
        }
        default:
          return [text];
      }
    }

    /** Each event with exactly its own fields (others are refused before anything reads them), every one set to `text`. */
    function eventBodies(route: Route, text: string): unknown[] {
      // Those that close the ticket last, so that the others still meet an open one.
      const events: Record<string, unknown>[] = [
        { type: 'EXTEND_DEADLINE', dueAt: text, reason: '系统改版' },
        { type: 'EXTEND_DEADLINE', dueAt: text, reason: text },
        { type: 'REASSIGN', unitCode: text, reason: text },
        { type: 'ACKNOWLEDGE', comment: text },
        { type: 'SUBMIT_RECTIFICATION', feedback: text, evidence: [text], rectifiedOn: text, comment: text },
        { type: 'SUBMIT_RECTIFICATION', feedback: '已整改', rectifiedOn: text },
        { type: 'REJECT', reason: text },
        { type: 'REASSIGN', unitCode: 'YY-JTJ', reason: text },
        { type: 'VERIFY', comment: text },
        { type: 'WITHDRAW', reason: text },
      ];
      if (route.pathParams.length > 0) return events;
      const ids = existingIds.slice(0, 3);
      return events.map((event) => ({ items: ids.map((id) => ({ id, ...event })) }));
    }

    function requestsFor(route: Route): { url: string; payload?: string; contentType?: string }[] {
      const pathWith = (value: (p: Parameter) => string) => route.pathParams.reduce((url, p) => url.replace(`{${p.name}}`, value(p)), route.path);
      const existing = pathWith((p) => (/code/i.test(p.name) ? 'YY-WJW' : /date/i.test(p.name) ? '2021-06-25' : String(existingIds[0] ?? 1)));
      const requests: { url: string; payload?: string; contentType?: string }[] = [];
      for (const text of hostileStrings) {
        const query = new URLSearchParams(route.queryParams.map((p): [string, string] => [p.name, text])).toString();
        const bodies = route.path.endsWith('/events') ? eventBodies(route, text) : route.body ? bodiesFor(route.body, text) : [undefined];
        for (const body of bodies) requests.push({ url: `${existing}${query ? `?${query}` : ''}`, ...(body === undefined ? {} : { payload: JSON.stringify(body), contentType: 'application/json' }) });
        if (route.pathParams.length > 0) requests.push({ url: pathWith(() => percentEncode(text)) });
      }
      if (route.queryParams.some((p) => p.name === 'cursor')) for (const cursor of craftedCursors) requests.push({ url: `${existing}?cursor=${cursor}` });
      if (route.method !== 'GET') requests.push({ url: existing, payload: deep, contentType: 'application/json' });
      if (/findings|import/.test(route.path)) {
        for (const text of hostileStrings) {
          const row = { 序号: 1, 账号名称: text, 开设主体: text === NUL ? NUL : '益阳市卫生健康委员会', 账号类型: '微信订阅号', 存在的问题: text === NUL ? NUL : '互动回应差', 最后更新时间: text };
          const unit = { code: text, name: text, kind: 'city_department', parentCode: 'YY-GOV', aliases: [text], emails: [] };
          requests.push({ url: existing, payload: JSON.stringify({ findings: [row], units: [unit] }), contentType: 'application/json' });
          requests.push({ url: existing, payload: `序号,账号名称,开设主体,账号类型,区县,存在的问题,最后更新时间\n1,${text},益阳市卫生健康委员会,微信订阅号,,互动回应差,${text}\n`, contentType: 'text/csv' });
          requests.push({ url: existing, payload: `code,name,kind,parentCode\n${text},${text},city_department,YY-GOV\n`, contentType: 'text/csv' });
        }
      }
      return requests;
    }

    // Every request of this block as the seeded users with their roles, in sessions of their own.
    beforeEach(async () => {
      tokens = await freshSessions();
    });

    it('never answers 5xx, and answers every 4xx as application/problem+json', async () => {
      // As above: the routes that end sessions or change the seeded accounts last, each with fresh sessions.
      const ending = (route: Route) => /^\/api\/(auth\/logout|me\/password|users\/\{id\})/.test(route.path) && route.method !== 'GET';
      const all = routesOf(t.app.swagger() as unknown as OpenApiDocument);
      const routes = [...all.filter((route) => !ending(route)), ...all.filter(ending)];
      const failures: string[] = [];
      let sent = 0;
      for (const route of routes) {
        if (ending(route)) tokens = await freshSessions();
        for (const [role, authorization] of roles()) {
          for (const request of requestsFor(route)) {
            const response = await t.app.inject({
              method: route.method as NonNullable<InjectOptions['method']>,
              url: request.url,
              headers: { ...(authorization ? { authorization } : {}), ...(request.contentType ? { 'content-type': request.contentType } : {}) },
              ...(request.payload === undefined ? {} : { payload: request.payload }),
            });
            sent += 1;
            const problem = response.statusCode >= 400 && !String(response.headers['content-type'] ?? '').startsWith('application/problem+json');
            if (response.statusCode >= 500 || problem) {
              const shown = (text: string) => text.replace(/(.)\1{19,}/gsu, (run, char: string) => `${char}×${[...run].length}`).replaceAll('\u0000', '\\0').slice(0, 300);
              failures.push(`${route.method} ${shown(request.url)} as ${role} ${shown(request.payload ?? '')}\n  → ${response.statusCode} ${shown(response.body)}`);
            }
          }
        }
      }
      expect(failures.slice(0, 40), `${failures.length} of ${sent} requests`).toEqual([]);
      expect(sent).toBeGreaterThan(routes.length * 8 * 5);
    });

    it('answers 422 naming dueAt for a day that does not exist, and refuses a target name too long for the index', async () => {
      const inspection = await createInspection(t, tokens['gov-sup'] ?? '', { shortCode: 'fuzz-dates', documentNumber: '益政务办发〔2021〕77号' });
      const [ticket] = (await issueFindings(t, inspection.id, [{ unitCode: 'YY-WJW', targetName: '日期检查对象' }])).tickets;
      const extend = await t.app.inject({
        method: 'POST',
        url: `/api/tickets/${ticket?.id}/events`,
        headers: { authorization: `Bearer ${tokens['gov-sup']}` },
        payload: { type: 'EXTEND_DEADLINE', dueAt: '2030-02-30', reason: '系统改版' },
      });
      expect(extend.statusCode, extend.body).toBe(422);
      expect(extend.json()).toMatchObject({ code: 'tickets.invalid_due_at', errors: [{ field: 'dueAt', value: '2030-02-30' }] });
      const imported = await t.app.inject({
        method: 'POST',
        url: `/api/inspections/${inspection.id}/findings`,
        headers: { authorization: `Bearer ${tokens['gov-sup']}` },
        payload: { findings: [{ 序号: 1, 账号名称: longName, 开设主体: '益阳市卫生健康委员会', 账号类型: '微信订阅号', 存在的问题: '互动回应差' }] },
      });
      expect(imported.statusCode, imported.body).toBe(422);
      expect(imported.json()).toMatchObject({ code: 'import.invalid_rows', errors: [{ row: 1, column: '账号名称' }] });
    });

    it('names the field holding a NUL character, in a body, a query and a JSON import', async () => {
      const ticketId = existingIds.find((id) => id > 2) ?? 3;
      const event = await t.app.inject({ method: 'POST', url: `/api/tickets/${ticketId}/events`, headers: { authorization: `Bearer ${tokens['gov-sup']}` }, payload: { type: 'WITHDRAW', reason: NUL } });
      expect(event.statusCode).toBe(400);
      expect(event.json()).toMatchObject({ code: 'request.nul_character', errors: [{ field: 'reason' }] });
      const list = await t.app.inject({ method: 'GET', url: `/api/tickets?q=${encodeURIComponent(NUL)}`, headers: { authorization: `Bearer ${tokens.admin}` } });
      expect(list.statusCode).toBe(400);
      expect(list.json()).toMatchObject({ code: 'request.nul_character', errors: [{ field: 'querystring.q' }] });
      const deepBody = await t.app.inject({ method: 'POST', url: '/api/units', headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' }, payload: deep });
      expect(deepBody.statusCode).toBe(422);
      expect(deepBody.json()).toMatchObject({ code: 'request.too_deep', limit: 32 });
    });

    it('answers 401, not 500, to a validly signed token whose subject is not a user id', async () => {
      for (const [, authorization] of roles().slice(5)) {
        const response = await t.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: authorization ?? '' } });
        expect(response.statusCode).toBe(401);
      }
    });
  });
}

/**
 * Declares the fuzzer's tests in the calling test file: `runsPerRoute` generated requests per route
 * from `seed` (FUZZ_SEED and FUZZ_RUNS override both, to replay or explore), and with `knownValues`
 * the values that once answered 500, sent to every route as every role.
 */
export function describeHttpFuzz(options: { runsPerRoute: number; seed: number; knownValues: boolean }): void {
  useFuzzedApp();
  describeGeneratedRequests(Number(process.env.FUZZ_RUNS ?? options.runsPerRoute), Number(process.env.FUZZ_SEED ?? options.seed));
  if (options.knownValues) describeKnownValues();
}
