import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { unprocessable } from './errors.js';

export const PASSWORD_MIN_LENGTH = 10;

// zxcvbn scores 0–4 by estimated guesses; below 2 (about a million guesses) is a listed common
// password or a trivial variant of one (case, l33t, a year or digits appended, keyboard runs, repeats).
const MIN_SCORE = 2;

let estimator: ZxcvbnFactory | undefined;
function strength(password: string): number {
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  return estimator.check(password).score;
}

/** Why a password is refused, in words for the person choosing it; undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `密码至少需要 ${PASSWORD_MIN_LENGTH} 个字符。`;
  if (strength(password) < MIN_SCORE) return '密码过于常见或容易猜到，请换一个更长、不常见的密码。';
  return undefined;
}

/** The one password policy (API, command line, RECTIFY_ADMIN_PASSWORD): 422 naming `field`. */
export function assertPasswordPolicy(password: string, field: string): void {
  const problem = passwordProblem(password);
  if (problem) {
    throw unprocessable('auth.password_policy', problem, { title: '密码不符合要求', errors: [{ field, message: problem }] });
  }
}
