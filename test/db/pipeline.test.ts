import { describe, expect, it } from 'vitest';
import { pipelineStatements } from '../../db/pipeline.js';

/** A statement that answers when told to, recording when it was built, sent and answered. */
function recorder() {
  const log: string[] = [];
  const answers: (() => void)[] = [];
  const run = (statement: string) =>
    new Promise<string>((resolve) => {
      log.push(`send ${statement}`);
      answers.push(() => {
        log.push(`answer ${statement}`);
        resolve(`rows of ${statement}`);
      });
    });
  // Answers every statement sent so far, after the event loop has turned.
  const answerAll = async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    while (answers.length > 0) answers.shift()?.();
  };
  return { log, run, answerAll };
}

describe('pipelineStatements', () => {
  it('builds the next statement while the one before runs, and sends each only after the one before answered', async () => {
    const { log, run, answerAll } = recorder();
    const done: string[] = [];
    const finished = pipelineStatements(['a', 'b', 'c'], {
      build: (part) => {
        log.push(`build ${part}`);
        return part.toUpperCase();
      },
      run,
      done: (rows, part, index) => done.push(`${index} ${part}: ${rows}`),
    });
    for (let i = 0; i < 3; i++) await answerAll();
    await finished;
    expect(log).toEqual(['build a', 'send A', 'build b', 'answer A', 'send B', 'build c', 'answer B', 'send C', 'answer C']);
    expect(done).toEqual(['0 a: rows of A', '1 b: rows of B', '2 c: rows of C']);
  });

  it('runs a drizzle-like thenable once, however often it is awaited', async () => {
    let runs = 0;
    // Like a drizzle query: each `then` runs the statement again.
    const thenable: PromiseLike<number> = { then: (onFulfilled, onRejected) => Promise.resolve(++runs).then(onFulfilled, onRejected) };
    const results: number[] = [];
    await pipelineStatements([1, 2], { build: (part) => part, run: () => thenable, done: (result) => results.push(result) });
    expect(results).toEqual([1, 2]);
  });

  it('rejects with the failed statement and sends nothing after it', async () => {
    const sent: number[] = [];
    const failing = pipelineStatements([1, 2, 3], {
      build: (part) => part,
      run: async (part) => {
        sent.push(part);
        if (part === 2) throw new Error('statement 2 failed');
        return part;
      },
      done: () => undefined,
    });
    await expect(failing).rejects.toThrow('statement 2 failed');
    expect(sent).toEqual([1, 2]);
  });

  it('waits for the statement in flight when building the next one throws', async () => {
    let answered = false;
    const failing = pipelineStatements([1, 2], {
      build: (part) => {
        if (part === 2) throw new Error('cannot build 2');
        return part;
      },
      run: () => new Promise<void>((resolve) => setTimeout(() => resolve(void (answered = true)), 5)),
      done: () => undefined,
    });
    await expect(failing).rejects.toThrow('cannot build 2');
    expect(answered).toBe(true);
  });
});
