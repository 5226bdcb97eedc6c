import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { createInspection, issueFindings, seedOrganisation } from '../helpers/fixtures.js';

// The outbox page of the workbench shows what each email says: GET /api/notifications/:id.
let t: TestApp;
let tokens: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp({ now: '2021-06-18T02:00:00Z' });
  ({ tokens } = await seedOrganisation(t));
  const inspection = await createInspection(t, tokens['gov-sup'] ?? '');
  await issueFindings(t, inspection.id, [{ unitCode: 'YY-WJW', targetName: '健康益阳', problems: [{ code: 'poor_interaction', text: '留言超过3个月未回复' }] }]);
});
afterAll(() => t.close());

describe('GET /api/notifications/:id', () => {
  it('answers the email with its recipients and its plain text as the outbox holds it', async () => {
    const list = (await t.request(tokens.admin ?? '', 'GET', '/api/notifications')).json().items as { id: number; subject: string }[];
    const [first] = list;
    expect(first).toBeDefined();
    const response = await t.request(tokens.admin ?? '', 'GET', `/api/notifications/${first?.id}`);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ id: first?.id, subject: first?.subject, to: ['wjw@yiyang.test'], cc: [], status: 'pending' });
    expect(body.text).toContain('益阳市卫生健康委员会');
    expect(body.text).toContain('留言超过3个月未回复');
  });

  it('answers 404 for an email that does not exist, and 403 to anyone but an admin', async () => {
    const missing = await t.request(tokens.admin ?? '', 'GET', '/api/notifications/999999');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('notifications.not_found');
    const [first] = (await t.request(tokens.admin ?? '', 'GET', '/api/notifications')).json().items as { id: number }[];
    expect((await t.request(tokens['gov-sup'] ?? '', 'GET', `/api/notifications/${first?.id}`)).statusCode).toBe(403);
  });
});
