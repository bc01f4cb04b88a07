// Runs test/helpers/dino_mae_ref.py (DINO's DINOHead and MAE's
// get_2d_sincos_pos_embed in Debian's python3-torch) with a JSON job.
import { runPythonReference } from './python-reference';

/**
 * Sends `job` to dino_mae_ref.py and returns its JSON answer.
 *
 * @example const { sincos } = runDinoMaeRef<{ sincos: number[][] }>({ sincos: [{ dim: 8, grid: 2, clsToken: true }] });
 */
export function runDinoMaeRef<T>(job: object): T {
  return runPythonReference<T>('dino_mae_ref.py', job);
}
