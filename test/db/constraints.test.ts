import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { pgError } from '../../db/errors.js';
import { createTestDatabase, onPostgres, type TestDatabase } from '../helpers/test-database.js';

const CHECK = '23514';
const UNIQUE = '23505';
const FOREIGN_KEY = '23503';
// ON DELETE RESTRICT: restrict_violation on recent PostgreSQL (PGlite), foreign_key_violation on older servers.
const RESTRICT = ['23001', '23503'];

let database: TestDatabase;

const run = (query: SQL) => queryRows(query, database.db);

/** The statement fails in the database itself, with this SQLSTATE (or one of these) and, when named, this constraint. */
async function expectRefused(query: SQL, code: string | string[], constraint?: string) {
  let caught: unknown;
  try {
    await run(query);
  } catch (error) {
    caught = error;
  }
  expect(caught, 'the database accepted the row').toBeDefined();
  const e = pgError(caught);
  if (Array.isArray(code)) expect(code).toContain(e?.code);
  else expect(e?.code).toBe(code);
  if (constraint !== undefined) expect(e?.constraint).toBe(constraint);
}

// Fixed ids well above anything a sequence hands out here; paths embed them as the app does.
const hash = 'a'.repeat(64);

beforeAll(async () => {
  database = await createTestDatabase();
  // One valid row of each kind, so every refusal below differs from an accepted row by one value.
  await run(sql`insert into units (id, code, name, kind, path) values (9001, 'C-ROOT', '约束测试根单位', 'other', '/9001/')`);
  await run(sql`insert into units (id, code, name, kind, parent_id, path) values (9002, 'C-CHILD', '约束测试下级单位', 'county', 9001, '/9001/9002/')`);
  await run(sql`insert into users (id, username, password_hash, role, unit_id) values (9001, 'c-user', 'x', 'supervisor', 9001)`);
  await run(sql`insert into inspections (id, short_code, title, issued_on, feedback_deadline, issuing_unit_id, policy)
                values (9001, 'C-2021', '约束测试检查', '2021-06-17', '2021-06-25', 9001, '{}'::jsonb)`);
  await run(sql`insert into targets (id, kind, platform, name, owner_unit_id) values (9001, 'new_media', 'wechat_subscription', '约束测试公众号', 9002)`);
  await run(sql`insert into targets (id, kind, platform, name, owner_unit_id) values (9002, 'website', null, '约束测试网站', 9002)`);
  await run(sql`insert into findings (id, inspection_id, target_id, unit_id, problems_text) values (9001, 9001, 9001, 9002, '互动回应差')`);
  await run(sql`insert into tickets (id, number, inspection_id, finding_id, unit_id, due_at) values (9001, 'C-2021-001', 9001, 9001, 9002, '2021-06-25T15:59:59.999Z')`);
  await run(sql`insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor, at, hash)
                values (9001, 1, 'ISSUE', null, 'issued', 'test', now(), ${hash})`);
  await run(sql`insert into notifications (ticket_id, kind, recipients, subject, body_text, body_html, message_id)
                values (9001, 'issued', array['c@example.test'], '主题', '正文', '<p>正文</p>', 'c-1@rectify.test')`);
});
afterAll(async () => {
  await database?.destroy();
});

describe(`database constraints on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('accepts the valid rows the refusals below are variations of', async () => {
    const [row] = await run(sql`select
      (select count(*)::int from units where id in (9001, 9002)) as units,
      (select count(*)::int from tickets where id = 9001) as tickets,
      (select count(*)::int from ticket_events where ticket_id = 9001) as events,
      (select count(*)::int from notifications where ticket_id = 9001) as notifications`);
    expect(row).toEqual({ units: 2, tickets: 1, events: 1, notifications: 1 });
  });

  describe('units', () => {
    it('refuses a kind outside the list', async () => {
      await expectRefused(sql`insert into units (id, code, name, kind, path) values (9101, 'C-X1', '单位X1', 'xyz', '/9101/')`, CHECK, 'units_kind_check');
    });

    it('refuses a code that does not follow the pattern', async () => {
      await expectRefused(sql`insert into units (id, code, name, kind, path) values (9102, '-bad code', '单位X2', 'other', '/9102/')`, CHECK, 'units_code_check');
      await expectRefused(sql`insert into units (id, code, name, kind, path) values (9103, '', '单位X3', 'other', '/9103/')`, CHECK, 'units_code_check');
    });

    it('refuses an empty or blank name', async () => {
      await expectRefused(sql`insert into units (id, code, name, kind, path) values (9104, 'C-X4', '', 'other', '/9104/')`, CHECK, 'units_name_check');
      await expectRefused(sql`insert into units (id, code, name, kind, path) values (9105, 'C-X5', '   ', 'other', '/9105/')`, CHECK, 'units_name_check');
    });

    it('refuses a second unit with the same code or the same name', async () => {
      await expectRefused(sql`insert into units (id, code, name, kind, path) values (9106, 'C-ROOT', '另一个名字', 'other', '/9106/')`, UNIQUE, 'units_code_unique');
      await expectRefused(sql`insert into units (id, code, name, kind, path) values (9107, 'C-X7', '约束测试根单位', 'other', '/9107/')`, UNIQUE, 'units_name_unique');
    });

    it('refuses a malformed path and a parent that does not exist', async () => {
      await expectRefused(sql`insert into units (id, code, name, kind, path) values (9108, 'C-X8', '单位X8', 'other', '9108')`, CHECK, 'units_path_check');
      await expectRefused(
        sql`insert into units (id, code, name, kind, parent_id, path) values (9109, 'C-X9', '单位X9', 'other', 424242, '/424242/9109/')`,
        FOREIGN_KEY,
        'units_parent_id_units_id_fk',
      );
    });

    it('refuses to delete a unit that still has children (ON DELETE RESTRICT)', async () => {
      await expectRefused(sql`delete from units where id = 9001`, RESTRICT, 'units_parent_id_units_id_fk');
    });
  });

  describe('users', () => {
    it('refuses a role outside admin, supervisor, officer', async () => {
      await expectRefused(sql`insert into users (username, password_hash, role, unit_id) values ('c-root', 'x', 'root', 9001)`, CHECK, 'users_role_check');
    });

    it('refuses a duplicate username and a unit that does not exist', async () => {
      await expectRefused(sql`insert into users (username, password_hash, role, unit_id) values ('c-user', 'x', 'officer', 9001)`, UNIQUE, 'users_username_unique');
      await expectRefused(sql`insert into users (username, password_hash, role, unit_id) values ('c-lost', 'x', 'officer', 424242)`, FOREIGN_KEY, 'users_unit_id_units_id_fk');
    });
  });

  describe('inspections', () => {
    it('refuses both a feedback deadline and a number of working days', async () => {
      await expectRefused(
        sql`insert into inspections (short_code, title, issued_on, feedback_deadline, due_working_days, issuing_unit_id, policy)
            values ('C-BOTH', '两者都有', '2021-06-17', '2021-06-25', 5, 9001, '{}'::jsonb)`,
        CHECK,
        'inspections_due_check',
      );
    });

    it('refuses neither a feedback deadline nor a number of working days', async () => {
      await expectRefused(
        sql`insert into inspections (short_code, title, issued_on, issuing_unit_id, policy) values ('C-NONE', '两者都无', '2021-06-17', 9001, '{}'::jsonb)`,
        CHECK,
        'inspections_due_check',
      );
    });

    it('accepts working days alone', async () => {
      await run(sql`insert into inspections (short_code, title, issued_on, due_working_days, issuing_unit_id, policy)
                    values ('C-DAYS', '工作日期限', '2021-06-17', 5, 9001, '{}'::jsonb)`);
    });

    it('refuses a feedback deadline before the issue date', async () => {
      await expectRefused(
        sql`insert into inspections (short_code, title, issued_on, feedback_deadline, issuing_unit_id, policy)
            values ('C-EARLY', '期限早于印发', '2021-06-17', '2021-06-16', 9001, '{}'::jsonb)`,
        CHECK,
        'inspections_deadline_after_issue_check',
      );
    });
  });

  describe('targets', () => {
    it('refuses a website with a platform', async () => {
      await expectRefused(sql`insert into targets (kind, platform, name) values ('website', 'weibo', '带平台的网站')`, CHECK, 'targets_platform_check');
    });

    it('refuses a new-media account without a platform', async () => {
      await expectRefused(sql`insert into targets (kind, platform, name) values ('new_media', null, '无平台账号')`, CHECK, 'targets_platform_check');
    });

    it('refuses a new-media account on a platform outside the list', async () => {
      await expectRefused(sql`insert into targets (kind, platform, name) values ('new_media', 'myspace', '未知平台账号')`, CHECK, 'targets_platform_check');
    });

    it('refuses the same target twice, even without an owner unit', async () => {
      await run(sql`insert into targets (kind, platform, name, owner_unit_id) values ('website', null, '无主网站', null)`);
      await expectRefused(sql`insert into targets (kind, platform, name, owner_unit_id) values ('website', null, '无主网站', null)`, UNIQUE, 'targets_identity_key');
    });
  });

  describe('findings', () => {
    it('refuses a finding for an inspection that does not exist', async () => {
      await expectRefused(
        sql`insert into findings (inspection_id, target_id, unit_id, problems_text) values (424242, 9002, 9002, '菜单链接错误')`,
        FOREIGN_KEY,
        'findings_inspection_id_inspections_id_fk',
      );
    });

    it('refuses a second finding for the same target in one inspection', async () => {
      await expectRefused(
        sql`insert into findings (inspection_id, target_id, unit_id, problems_text) values (9001, 9001, 9002, '再次')`,
        UNIQUE,
        'findings_inspection_target_key',
      );
    });

    it('refuses a problem code outside the catalogue', async () => {
      await expectRefused(
        sql`insert into finding_problems (finding_id, position, problem_code, text) values (9001, 0, 'not_a_problem', '?')`,
        FOREIGN_KEY,
        'finding_problems_problem_code_problem_types_code_fk',
      );
    });
  });

  describe('tickets', () => {
    it('refuses a state outside the workflow', async () => {
      await expectRefused(sql`update tickets set state = 'closed' where id = 9001`, CHECK, 'tickets_state_check');
    });

    it('refuses negative rejections', async () => {
      await expectRefused(sql`update tickets set rejections = -1 where id = 9001`, CHECK, 'tickets_rejections_check');
    });

    it('refuses a version below 1 and an escalation level above 10', async () => {
      await expectRefused(sql`update tickets set version = 0 where id = 9001`, CHECK, 'tickets_version_check');
      await expectRefused(sql`update tickets set escalation_level = 11 where id = 9001`, CHECK, 'tickets_escalation_level_check');
    });

    it('refuses a second ticket for the same finding', async () => {
      await expectRefused(
        sql`insert into tickets (number, inspection_id, finding_id, unit_id, due_at) values ('C-2021-002', 9001, 9001, 9002, now())`,
        UNIQUE,
        'tickets_finding_id_unique',
      );
    });
  });

  describe('ticket events', () => {
    it('refuses a second event with the same (ticket_id, seq)', async () => {
      await expectRefused(
        sql`insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor, at, hash)
            values (9001, 1, 'ACKNOWLEDGE', 'issued', 'acknowledged', 'test', now(), ${hash})`,
        UNIQUE,
        'ticket_events_ticket_seq_key',
      );
    });

    it('refuses an event type outside the workflow and a malformed hash', async () => {
      await expectRefused(
        sql`insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor, at, hash)
            values (9001, 2, 'CLOSE', 'issued', 'issued', 'test', now(), ${hash})`,
        CHECK,
        'ticket_events_type_check',
      );
      await expectRefused(
        sql`insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor, at, hash)
            values (9001, 2, 'ACKNOWLEDGE', 'issued', 'acknowledged', 'test', now(), 'not-a-hash')`,
        CHECK,
        'ticket_events_hash_check',
      );
    });

    it('refuses an event for a ticket that does not exist', async () => {
      await expectRefused(
        sql`insert into ticket_events (ticket_id, seq, type, from_state, to_state, actor, at, hash)
            values (424242, 1, 'ISSUE', null, 'issued', 'test', now(), ${hash})`,
        FOREIGN_KEY,
        'ticket_events_ticket_id_tickets_id_fk',
      );
    });
  });

  describe('notifications', () => {
    it('refuses a status outside pending, sending, sent, failed', async () => {
      await expectRefused(sql`update notifications set status = 'bogus' where ticket_id = 9001`, CHECK, 'notifications_status_check');
    });

    it('refuses a kind outside the list and negative attempts', async () => {
      await expectRefused(
        sql`insert into notifications (kind, recipients, subject, body_text, body_html, message_id) values ('spam', array['c@example.test'], 's', 't', 'h', 'c-2@rectify.test')`,
        CHECK,
        'notifications_kind_check',
      );
      await expectRefused(sql`update notifications set attempts = -1 where ticket_id = 9001`, CHECK, 'notifications_attempts_check');
    });

    it('refuses a second notification with the same message id', async () => {
      await expectRefused(
        sql`insert into notifications (kind, recipients, subject, body_text, body_html, message_id) values ('issued', array['c@example.test'], 's', 't', 'h', 'c-1@rectify.test')`,
        UNIQUE,
        'notifications_message_id_unique',
      );
    });
  });
});
