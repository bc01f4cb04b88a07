// Timing of benchmark steps shared by the side-by-side scripts (bench-ssl,
// bench-text): each timed step's wall-clock and process CPU seconds.

/** Seconds per step, wall clock and process CPU time, of every timed step (`check`: a script's own result). */
export interface Samples { wall: number[]; cpu: number[]; check?: number }

/** This process's user + system CPU seconds so far. */
export const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Runs `step` `warmup` times untimed, then `steps` times timed.
 * @example timeSteps(() => runner.step(), 2, 10).wall.length; // 10
 */
export function timeSteps(step: () => void, warmup: number, steps: number): Samples {
  for (let i = 0; i < warmup; i++) step();
  const out: Samples = { wall: [], cpu: [] };
  for (let i = 0; i < steps; i++) {
    const [t0, c0] = [process.hrtime.bigint(), cpuSeconds()];
    step();
    out.cpu.push(cpuSeconds() - c0);
    out.wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return out;
}
