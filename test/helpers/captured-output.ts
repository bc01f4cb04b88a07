// What a command writes: runs an async function with process.stdout and
// process.stderr writes captured (and not printed), restored afterwards.

/**
 * Runs `fn` with stdout and stderr captured; returns its result and both texts.
 *
 * @example const { stdout } = await captured(() => quietProgram().parseAsync(['node', 'selfsup', 'eval', run]));
 */
export async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; stdout: string; stderr: string }> {
  const [out, err] = [process.stdout.write, process.stderr.write];
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((t: string) => { stdout += t; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((t: string) => { stderr += t; return true; }) as typeof process.stderr.write;
  try {
    const result = await fn();
    return { result, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
