import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precompress } from './precompress.ts';

// The app is served by the Promptline server at `/` with an SPA fallback; in development Vite
// proxies the API to a server started with `npm start` (PROMPTLINE_PORT, default 4100).
export default defineConfig({
  // precompress: brotli and gzip copies of the build, which the server sends as they are.
  plugins: [react(), precompress()],
  resolve: { conditions: ['source'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: { '/api': `http://127.0.0.1:${process.env.PROMPTLINE_PORT ?? '4100'}` },
  },
});
