import { defineConfig } from 'vitest/config';

// The 3-node comparison runs only through `make compat-cluster`; the default suite excludes test/compat.
export default defineConfig({
  test: {
    include: ['test/compat/cluster/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
