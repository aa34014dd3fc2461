import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests that start real child processes import the package by its name, as users do: `npm test`
// builds dist/ first, and these aliases point the name at it.
const dist = (file: string) => fileURLToPath(new URL(`./dist/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^hostbus$/, replacement: dist('index.js') },
      { find: /^hostbus\/testing$/, replacement: dist('testing.js') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/no-leaks.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at once, even on two cores (vitest's default there is one): most files wait on
    // sockets and child processes, not on the CPU.
    maxWorkers: 2,
  },
});
