import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/postgres: what only a PostgreSQL server has (its restarts); run when DATABASE_URL is set.
    exclude: [...configDefaults.exclude, ...(process.env.DATABASE_URL ? [] : ['test/postgres/**'])],
    setupFiles: ['test/helpers/no-network.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
