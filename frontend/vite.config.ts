import { defineConfig } from 'vitest/config';

// The Go main server serves dist/static/... under /static/ and dist/index.html for every page route,
// hashed bundles go to assets/ (served immutable), defaults to static/.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 15000,
  },
});
