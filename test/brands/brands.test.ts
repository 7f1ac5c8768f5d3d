import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

interface BrandField {
  name: string;
  kind: 'identity' | 'setting' | 'secret';
  required: boolean;
  rotatable: boolean;
  description: string;
}
interface BrandView {
  slug: string;
  aliases: string[];
  display_name: string;
  fields: BrandField[];
  max_per_fleet: number | null;
  token_exchange: string;
}

describe('GET /brands', () => {
  it('lists all ten brands with their fields, publicly', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/brands' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as BrandView[];
    expect(items.map((b) => b.slug).sort()).toEqual(
      ['enode', 'geotab', 'high-mobility', 'mercedes-benz', 'niu', 'openobd', 'samsara', 'segway', 'smartcar', 'tesla'].sort(),
    );
    for (const brand of items) {
      expect(brand).toEqual({
        slug: expect.stringMatching(/^[a-z-]+$/),
        aliases: expect.any(Array),
        display_name: expect.any(String),
        fields: expect.any(Array),
        max_per_fleet: brand.slug === 'openobd' ? 5 : null,
        token_exchange: expect.any(String),
      });
      expect(brand.fields.length).toBeGreaterThan(0);
      for (const field of brand.fields) {
        expect(Object.keys(field).sort()).toEqual(['description', 'kind', 'name', 'required', 'rotatable']);
        // Only secrets rotate.
        if (field.rotatable) expect(field.kind).toBe('secret');
      }
    }
  });

  it('describes each brand as docs/design.md §4 does', async () => {
    const items = (await t.app.inject({ method: 'GET', url: '/brands' })).json().items as BrandView[];
    const bySlug = new Map(items.map((b) => [b.slug, b]));
    const shape = (slug: string) =>
      Object.fromEntries(bySlug.get(slug)!.fields.map((f) => [f.name, `${f.kind}${f.required ? '!' : ''}${f.rotatable ? '~' : ''}`]));
    expect(shape('niu')).toEqual({ client_id: 'identity!', client_secret: 'secret!~' });
    expect(shape('openobd')).toEqual({
      client_id: 'identity!',
      cluster_id: 'setting!',
      grpc_host: 'setting',
      client_secret: 'secret!~',
      partner_api_key: 'secret~',
    });
    expect(bySlug.get('openobd')!.aliases).toEqual(['jifeline']);
    expect(shape('geotab')).toEqual({ database: 'identity!', username: 'identity!', server: 'setting', password: 'secret!~' });
    expect(shape('samsara')).toEqual({ api_token: 'secret!~' });
    expect(shape('tesla')).toMatchObject({ region: 'setting!', private_key: 'secret~', client_secret: 'secret!~' });
    expect(shape('segway')).toMatchObject({ region: 'setting' });
    expect(Object.keys(shape('high-mobility')).sort()).toEqual(['client_id', 'client_secret', 'environment', 'key_id', 'private_key']);
  });

  it('carries no stored value: a credential created first does not show up in it', async () => {
    const { token } = await t.newFleet();
    await t.call(token, 'POST', '/niu/credentials', { client_id: 'visible-id', client_secret: 'brand-secret-1' });
    const res = await t.call(token, 'GET', '/brands');
    expect(res.body).not.toContain('brand-secret-1');
    expect(res.body).not.toContain('visible-id');
  });
});
