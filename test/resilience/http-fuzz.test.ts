// The HTTP fuzzer's short form (test/resilience/http-fuzz.ts): a few generated requests per route,
// fixed so that a failure replays, and every value that once answered 500. The long form is
// http-fuzz.slow.test.ts.
import { describeHttpFuzz } from './http-fuzz.js';

describeHttpFuzz({ runsPerRoute: 8, seed: 20210625, knownValues: true });
