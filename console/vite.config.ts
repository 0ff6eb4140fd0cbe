import { defineConfig } from 'vite';

/**
 * The console's build: `npm run console:build` (vite build --config console/vite.config.ts), run
 * from the repository root. Output in console/dist, served by the API at `/` (api/consoleRoute.ts).
 * No plugin: Vite's own transform compiles TSX with the automatic JSX runtime. Shared API types are
 * imported type-only from ../domain, ../chat/model and ../incidents (erased at build time).
 */
export default defineConfig({
  root: 'console',
  base: '/',
  // Nothing from outside at run time: every asset is bundled and hashed under /assets/.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // The CSP forbids inline scripts and data: URLs are not needed; keep every asset a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
    rolldownOptions: {
      // react-query marks its modules "use client" (a React Server Components hint): meaningless in a plain SPA bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
