// Exact refusal messages: the refusal tables of issue 21 assert the whole
// message, so a changed word fails where a pattern would still match.
import * as assert from 'node:assert/strict';

/**
 * Asserts that `fn` throws an error whose message is exactly `message`.
 *
 * @example refuses(() => shardOf(-1, 0, 2), 'Expected n >= 0 rows ...');
 */
export function refuses(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: Error) => {
    assert.equal(err.message, message);
    return true;
  });
}

/**
 * The message `fn` throws or rejects with ('no error' when it does neither), for asserting a whole message with
 * `assert.equal` where the call is asynchronous.
 *
 * @example assert.equal(await messageOf(() => runTrain(['--epochs', '1.5'])), 'Expected an integer ...');
 */
export async function messageOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

/**
 * The message `f` throws, '' when it returns: for worker processes that report refusals in their JSON line.
 *
 * @example report.refused = errorOf(() => sinkhornKnopp(bad));
 */
export function errorOf(f: () => unknown): string {
  try {
    f();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}
