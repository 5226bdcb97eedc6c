// The HTTP fuzzer's long form (test/resilience/http-fuzz.ts), run once in .ci/run: many more
// generated requests per route than `npm test` sends, from seeds of their own so that they add
// requests rather than repeat the short form's. The values that once answered 500 are the short
// form's.
import { describeHttpFuzz } from './http-fuzz.js';

describeHttpFuzz({ runsPerRoute: 64, seed: 20260101, knownValues: false });
