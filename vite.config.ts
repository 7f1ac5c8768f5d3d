import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web console (DESIGN.md §2.10): `web/` built into `dist/console`, served at `/console` by
 * src/console/console.routes.ts. Everything is a file of this origin, as its CSP requires: no
 * inlined data: assets, no module-preload polyfill (modern browsers have it; it would be extra script).
 */
export default defineConfig({
  root: fileURLToPath(new URL('web', import.meta.url)),
  base: '/console/',
  publicDir: 'public',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
