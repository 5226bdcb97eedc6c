import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file gets its own database; two workers match the two cores here.
    pool: 'forks',
    maxWorkers: 2,
    env: { TZ: 'UTC' },
    // The JSON report lets .ci/run print a plain "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    // `npm test` runs `suite`. The browser tests (`browser`: test/web/) and the cases that are slow
    // by nature (`slow`: *.slow.test.ts — load-size imports, killed and restarted processes, the
    // fuzzer's long form) each run once in .ci/run; `npm run test:all` runs all three.
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/web/**', 'test/**/*.slow.test.ts'] } },
      { extends: true, test: { name: 'browser', include: ['test/web/**/*.test.ts'] } },
      { extends: true, test: { name: 'slow', include: ['test/**/*.slow.test.ts'] } },
    ],
  },
});
