import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** One file of the built console, held in memory with its gzip form when that is smaller. */
export interface ConsoleFile {
  body: Buffer;
  gzip: Buffer | undefined;
  contentType: string;
  /** Vite names assets after their content hash (`assets/index-3f9a1c.js`): a cache may keep them. */
  immutable: boolean;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
const compressible = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

/**
 * Every file under `root`, keyed by its path relative to it with `/` separators (`index.html`,
 * `assets/index-3f9a1c.js`). Read once at start-up: the server answers only names in this map,
 * so no request path ever reaches the file system (no traversal, no symlink escape, no dotfiles).
 * Undefined when the console has not been built.
 */
export function loadConsoleFiles(root: string): Map<string, ConsoleFile> | undefined {
  if (!fs.existsSync(path.join(root, 'index.html'))) return undefined;
  const files = new Map<string, ConsoleFile>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      const name = `${prefix}${entry.name}`;
      if (entry.isDirectory()) walk(full, `${name}/`);
      const ext = path.extname(entry.name);
      const contentType = contentTypes[ext];
      // Only regular files of known types: a source map or a stray file is simply not served.
      if (!entry.isFile() || contentType === undefined) continue;
      const body = fs.readFileSync(full);
      const gzip = compressible.has(ext) ? gzipSync(body, { level: 9 }) : undefined;
      files.set(name, {
        body,
        gzip: gzip !== undefined && gzip.length < body.length ? gzip : undefined,
        contentType,
        immutable: name.startsWith('assets/'),
      });
    }
  };
  try {
    walk(root, '');
  } catch (error) {
    // A build emptying the folder while the server starts: serve "not built" rather than half a console.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return files;
}
