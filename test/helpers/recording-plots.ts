// Plots recorded instead of drawn: what a test compares with the metrics log.
import * as plotModule from '../../lib/train/plot';
import { LinePlot } from '../../lib/train/plot';

/**
 * Runs `fn` with plot.writePlot replaced by a recorder (run-folder.ts calls it through the module's exports) and
 * returns each call's file and plot, in order; the real writePlot is put back after. `fn` sees the list as it
 * fills (to look at it, or empty it, between runs).
 *
 * @example const calls = await recordingPlots(() => writePlots(dir, history)); // [['loss.png', { series: ... }], ...]
 */
export async function recordingPlots(fn: (calls: Array<[string, LinePlot]>) => Promise<void>): Promise<Array<[string, LinePlot]>> {
  const mutable = plotModule as unknown as { writePlot: typeof plotModule.writePlot };
  const real = mutable.writePlot;
  const calls: Array<[string, LinePlot]> = [];
  mutable.writePlot = async (file, plot) => {
    calls.push([file, plot]);
  };
  try {
    await fn(calls);
  } finally {
    mutable.writePlot = real;
  }
  return calls;
}
