import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Runs one statement per part, in order, on the caller's connection, building each next statement
 * while the database runs the one before: a part's statement is sent, a turn of the event loop puts
 * it on the wire, and only then is the next part's built (the array literals of 2,000 rows cost some
 * milliseconds each; built one after the other, the database would sit idle through them). Each
 * statement still starts only after the one before has answered, so the writes' order is unchanged.
 * `done` gets each statement's result with its part, in order.
 */
export async function pipelineStatements<P, S, R>(
  parts: readonly P[],
  { build, run, done }: { build: (part: P) => S; run: (statement: S) => PromiseLike<R>; done: (result: R, part: P, index: number) => void },
): Promise<void> {
  const prepare = (index: number) => {
    const part = parts[index] as P;
    return { part, statement: build(part) };
  };
  let current = parts.length > 0 ? prepare(0) : undefined;
  for (let k = 0; current; k++) {
    // Settled once: a drizzle query is a thenable that runs again each time it is awaited.
    const sent = Promise.resolve(run(current.statement));
    // Awaited below; handled now, so that a failure arriving while the next part is built is not an unhandled rejection.
    sent.catch(() => undefined);
    let following: ReturnType<typeof prepare> | undefined;
    if (k + 1 < parts.length) {
      try {
        await nextTurn();
        following = prepare(k + 1);
      } catch (error) {
        await sent.catch(() => undefined);
        throw error;
      }
    }
    done(await sent, current.part, k);
    current = following;
  }
}
