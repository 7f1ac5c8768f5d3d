/**
 * The tables of docs/ that mirror the source, printed from the source, and a check of the relative links of
 * README.md, docs/*.md and bench/README.md. `test/docs/docs-tables.test.ts` fails when a page drifts from what this prints.
 *
 *   npx tsx scripts/docs-tables.ts routes|problems|brands|settings|links
 *   npx tsx scripts/docs-tables.ts write      # rewrites the generated blocks of the pages in `generatedBlocks`
 *
 * Each mirrored table sits between `<!-- generated:<name> … -->` and `<!-- end:<name> -->` in its page. The
 * settings table keeps its hand-written meanings: only its variable names and simple defaults are checked
 * against `src/config.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { brands } from '../src/brands/brand-registry.js';
import { problemTypes } from '../src/core/app-error.js';

export const root = path.resolve(import.meta.dirname, '..');

const methods = ['get', 'put', 'post', 'patch', 'delete'] as const;

interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

const code = (s: string) => `\`${s}\``;
const list = (items: readonly string[]) => (items.length === 0 ? '—' : items.join(', '));

/** Every operation of openapi.yaml, in document order: method, path, the one scope it needs, id, summary. */
export function routesTable(openapiYaml = fs.readFileSync(path.join(root, 'openapi.yaml'), 'utf8')): string {
  const doc = parse(openapiYaml) as { paths: Record<string, Partial<Record<(typeof methods)[number], Operation>>> };
  const rows: string[][] = [];
  for (const [route, operations] of Object.entries(doc.paths)) {
    for (const method of methods) {
      const op = operations[method];
      if (op === undefined) continue;
      const scopes = (op.security ?? []).flatMap((requirement) => requirement.oauth2 ?? []);
      rows.push([method.toUpperCase(), code(route), list(scopes), code(op.operationId ?? ''), op.summary ?? '']);
    }
  }
  return table(['method', 'path', 'scope', 'operationId', 'summary'], rows);
}

/** The closed list of problem types (`src/core/app-error.ts`). */
export function problemsTable(): string {
  const rows = Object.entries(problemTypes).map(([slug, { status, title }]) => [code(slug), String(status), title]);
  return table(['type', 'status', 'title'], rows);
}

/** The brand catalogue (`src/brands/catalogue/`, in the registry's order). `?` marks an optional field. */
export function brandsTable(): string {
  const rows = brands.map((brand) => {
    const named = (names: readonly string[]) =>
      list(names.map((n) => code(brand.fields[n]!.schema.safeParse(undefined).success ? `${n}?` : n)));
    return [
      code(brand.slug),
      list(brand.aliases.map(code)),
      brand.displayName,
      named(brand.identityFields),
      named(brand.settingFields),
      named(brand.secretFields),
      list(brand.rotatableFields.map(code)),
      brand.maxPerFleet === undefined ? '—' : String(brand.maxPerFleet),
      brand.tokenExchange,
    ];
  });
  return table(['slug', 'aliases', 'maker', 'identity', 'settings', 'secrets', 'rotatable', 'per fleet', 'token exchange'], rows);
}

/**
 * The variables `src/config.ts` reads (with its brand-origin overrides, src/config-brand-urls.ts), with the default
 * written on the same line, where there is one.
 */
export function configVariables(
  source = ['src/config.ts', 'src/config-brand-urls.ts'].map((file) => fs.readFileSync(path.join(root, file), 'utf8')).join('\n'),
): Map<string, string | undefined> {
  const variables = new Map<string, string | undefined>();
  for (const match of source.matchAll(/^ {2}([A-Z][A-Z0-9_]*): z\.(.*)$/gm)) {
    const fallback = /\.default\(([^()]*)\)/.exec(match[2]!)?.[1];
    variables.set(match[1]!, fallback?.replaceAll('_', '').replace(/^'(.*)'$/, '$1'));
  }
  if (source.includes("'FLEETVAULT_BRAND_URL_'")) variables.set('FLEETVAULT_BRAND_URL_<SLUG>', undefined);
  return variables;
}

/** The rows of the settings table of a page: variable → default cell. */
export function settingsRows(page: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of extractBlock(page, 'settings').matchAll(/^\| `([A-Z][A-Z0-9_<>]*)` \| ([^|]*) \|/gm)) {
    rows.set(match[1]!, match[2]!.trim());
  }
  return rows;
}

/** Which page holds which generated table. */
export const generatedBlocks = [
  { name: 'routes', page: 'docs/api.md', render: () => routesTable() },
  { name: 'problems', page: 'docs/api.md', render: () => problemsTable() },
  { name: 'brands', page: 'docs/brands.md', render: () => brandsTable() },
] as const;

/** The page with the named block replaced by `body`. */
export function replaceBlock(page: string, name: string, body: string): string {
  const current = extractBlock(page, name);
  const start = page.indexOf('\n', page.indexOf(`<!-- generated:${name} `)) + 1;
  return page.slice(0, start) + body + page.slice(page.indexOf(current, start) + current.length);
}

/** The text between a page's `<!-- generated:<name> … -->` line and its `<!-- end:<name> -->` line. */
export function extractBlock(page: string, name: string): string {
  const start = page.indexOf(`<!-- generated:${name} `);
  const end = page.indexOf(`<!-- end:${name} -->`);
  if (start < 0 || end < start) throw new Error(`no generated:${name} block`);
  return page.slice(page.indexOf('\n', start) + 1, end).trim();
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const match of withoutCode.matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = match[1]!
      .replace(/`/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const match of withoutCode.matchAll(/<a (?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  return anchors;
}

/** The documentation pages: README.md, bench/README.md and docs/*.md (paths from the repository root). */
export function docPages(): string[] {
  const docs = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md'));
  return ['README.md', 'bench/README.md', ...docs.map((f) => `docs/${f}`)];
}

/** Relative links (files and `#anchors`) of README.md, docs/*.md and bench/README.md that do not resolve. */
export function brokenLinks(): string[] {
  const pages = docPages();
  const broken: string[] = [];
  for (const page of pages) {
    const text = fs.readFileSync(path.join(root, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      const [file = '', anchor] = target.split('#');
      const resolved = file === '' ? path.join(root, page) : path.resolve(path.dirname(path.join(root, page)), file);
      if (!fs.existsSync(resolved)) {
        broken.push(`${page}: ${target} (no such file)`);
      } else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(fs.readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${page}: ${target} (no such heading)`);
      }
    }
  }
  return broken;
}

function main(what: string | undefined): void {
  const printers: Record<string, () => string> = {
    routes: routesTable,
    problems: problemsTable,
    brands: brandsTable,
    settings: () => [...configVariables()].map(([name, fallback]) => `${name}\t${fallback ?? '—'}`).join('\n'),
    links: () => brokenLinks().join('\n') || 'every relative link resolves',
    write: () =>
      generatedBlocks
        .map(({ name, page, render }) => {
          const file = path.join(root, page);
          fs.writeFileSync(file, replaceBlock(fs.readFileSync(file, 'utf8'), name, render()));
          return `wrote ${name} in ${page}`;
        })
        .join('\n'),
  };
  const print = what === undefined ? undefined : printers[what];
  if (print === undefined) {
    console.error(`usage: tsx scripts/docs-tables.ts ${Object.keys(printers).join('|')}`);
    process.exitCode = 2;
    return;
  }
  console.log(print());
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv[2]);
