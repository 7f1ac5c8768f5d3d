import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenLinks, docPages, configVariables, extractBlock, generatedBlocks, root, settingsRows } from '../../scripts/docs-tables.js';

/** The tables of docs/ that mirror the source, and the links between the pages (scripts/docs-tables.ts). */
const read = (page: string) => fs.readFileSync(path.join(root, page), 'utf8');

describe('docs that mirror the source', () => {
  it.each(generatedBlocks.map((block) => [block.name, block]))(
    'the %s table is what the source says (fix: npx tsx scripts/docs-tables.ts write)',
    (_name, { name, page, render }) => {
      expect(extractBlock(read(page), name)).toBe(render());
    },
  );

  it('the settings table of docs/operations.md lists exactly the variables src/config.ts reads, with their defaults', () => {
    const documented = settingsRows(read('docs/operations.md'));
    const variables = configVariables();
    expect([...documented.keys()].sort()).toEqual([...variables.keys()].sort());
    for (const [name, fallback] of variables) {
      if (fallback !== undefined) expect(documented.get(name), name).toContain(`\`${fallback}\``);
    }
  });
});

describe('links and references', () => {
  it('every relative link of README.md, docs/*.md and bench/README.md names an existing file and heading', () => {
    expect(brokenLinks()).toEqual([]);
  });

  it('no page sends the reader to a document outside the repository or to issue numbers', () => {
    const pages = docPages();
    const offending = pages.filter((page) =>
      [/\.\.\/shared\//, /\bDESIGN\.md\b/, /\bissues? #?\d+/i].some((pattern) => pattern.test(read(page))),
    );
    expect(offending).toEqual([]);
  });
});
