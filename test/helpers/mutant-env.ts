// Loaded by scripts/mutate.js's mocha config (not by npm test): before each
// test, the mutant StrykerJS has switched on in this process is put into
// __STRYKER_ACTIVE_MUTANT__, the variable Stryker's instrumented code reads
// when it loads, so child processes the test starts (ranks, the CLI as a
// process) inherit it and run the same mutant. Without it a child runs the
// unmutated code and a bug only ranks reach can never be killed.
// docs/testing.md, "Code that only child processes run".

/** The environment variable Stryker's instrumented code reads at load (@stryker-mutator/api, INSTRUMENTER_CONSTANTS). */
export const ACTIVE_MUTANT_ENV = '__STRYKER_ACTIVE_MUTANT__';

/** Sets or clears ACTIVE_MUTANT_ENV in `env` from Stryker's namespace on globalThis (undefined outside Stryker). */
export function forwardActiveMutant(env: NodeJS.ProcessEnv = process.env, root: unknown = globalThis): void {
  const id = (root as { __stryker__?: { activeMutant?: unknown } }).__stryker__?.activeMutant;
  if (id === undefined || id === null) delete env[ACTIVE_MUTANT_ENV];
  else env[ACTIVE_MUTANT_ENV] = String(id);
}

export const mochaHooks = {
  beforeEach(): void {
    forwardActiveMutant();
  },
};
