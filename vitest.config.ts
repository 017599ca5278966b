// Unit tests live beside the code they test. Node is the default
// environment; renderer tests opt into jsdom per file with
// `// @vitest-environment jsdom`.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [react()],
  test: {
    include: [
      'api/**/*.test.ts',
      'electron/**/*.test.ts',
      'preload/**/*.test.ts',
      'server/**/*.test.ts',
      'renderer/**/*.test.{ts,tsx}',
      'scripts/**/*.test.ts',
    ],
    environment: 'node',
    // Two shared CPU cores: a couple of workers is as fast as more, and calmer.
    maxWorkers: 2,
    // Generous: CI shares two cores with builds, QEMU and browsers.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
