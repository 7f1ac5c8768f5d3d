import { describe, expect, it } from 'vitest';
import { listItemJson, toCredentialView, viewMembers } from './credential-view.js';

const row = {
  id: '01J00000000000000000000000',
  brand: 'geotab',
  name: 'Depot "North" \u2013 \u00e9t\u00e9\n',
  secret_version: 3,
  vehicle_count: 2,
  created_at: '2026-12-01T10:00:00.000Z',
  updated_at: '2026-12-02T10:00:00.000Z',
  secret_updated_at: '2026-12-02T10:00:00.000Z',
  status: 'authorized' as const,
  status_checked_at: null,
};
/** The view's members as the engine writes them (SQLite's json_object has no spaces, PostgreSQL's json_build_object has). */
const sqliteView = JSON.stringify(Object.fromEntries(viewMembers.map((member) => [member, row[member]])));
const postgresView = `{${viewMembers.map((member) => `${JSON.stringify(member)} : ${JSON.stringify(row[member])}`).join(', ')}}`;
const fields = { database: 'fleet_db', username: 'svc@example.com', server: 'my.geotab.com' };

describe('listItemJson', () => {
  it('is the view toCredentialView makes of the same row, from either engine', () => {
    const expected = toCredentialView({ ...row, fields: JSON.stringify(fields), name_key: '', name_missing: 0 });
    for (const view of [sqliteView, postgresView]) {
      expect(JSON.parse(listItemJson({ view, fields: JSON.stringify(fields), brand: 'geotab' }))).toEqual(expected);
    }
  });

  it('writes the view alone when the credential has no public field', () => {
    expect(listItemJson({ view: sqliteView, fields: '{}', brand: 'geotab' })).toBe(sqliteView);
  });

  it('never carries a member of `fields` the brand does not declare public: a secret, another brand field, a non-string', () => {
    const stored = JSON.stringify({ ...fields, password: 'hunter2', client_id: 'other-brand', server: 42 });
    const item = JSON.parse(listItemJson({ view: sqliteView, fields: stored, brand: 'geotab' })) as Record<string, unknown>;
    expect(item).toMatchObject({ database: 'fleet_db', username: 'svc@example.com' });
    expect(item).not.toHaveProperty('password');
    expect(item).not.toHaveProperty('client_id');
    expect(item).not.toHaveProperty('server');
    expect(JSON.stringify(item)).not.toContain('hunter2');
  });

  it('lets no member of `fields` stand in for one of the view, as the JSON a client parses keeps the last duplicate', () => {
    const stored = JSON.stringify({ id: 'forged', status: 'authorized', vehicle_count: 0, database: 'fleet_db' });
    const text = listItemJson({ view: sqliteView, fields: stored, brand: 'geotab' });
    expect(JSON.parse(text)).toMatchObject({ id: row.id, status: row.status, vehicle_count: 2, database: 'fleet_db' });
    expect(text).not.toContain('forged');
  });

  it('carries a member stored twice once, with the value a parser keeps, never the other one', () => {
    const stored = '{"database":{"password":"hunter2"},"database":"fleet_db"}';
    const text = listItemJson({ view: sqliteView, fields: stored, brand: 'geotab' });
    expect(JSON.parse(text)).toMatchObject({ database: 'fleet_db' });
    expect(text).not.toContain('hunter2');
    expect(text.match(/"database"/g)).toHaveLength(1);
  });

  it('writes nothing of a `fields` that is not an object of public members', () => {
    for (const stored of ['null', '"text"', '[1,2]', '{"password":"hunter2"}']) {
      expect(listItemJson({ view: sqliteView, fields: stored, brand: 'geotab' })).toBe(sqliteView);
    }
  });
});
