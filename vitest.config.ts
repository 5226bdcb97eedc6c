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
      // The suite's files share their worker's loaded modules (isolate: false): each file still gets its
      // own database and app, and loading the server's modules once per worker instead of once per
      // file is a third of the suite's CPU.
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/web/**', 'test/**/*.slow.test.ts'], isolate: false } },
      { extends: true, test: { name: 'browser', include: ['test/web/**/*.test.ts'] } },
      { extends: true, test: { name: 'slow', include: ['test/**/*.slow.test.ts'] } },
    ],
  },
});
