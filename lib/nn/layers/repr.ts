// Python's spelling of values in `extraRepr` text, so that printed modules
// read exactly as PyTorch prints them.

/** A float as Python's `repr` writes it (`1e-05`, `0.1`, `1.0`), for `extraRepr` text equal to PyTorch's. */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const ax = Math.abs(x);
  if (ax !== 0 && (ax < 1e-4 || ax >= 1e16)) {
    const [mantissa, exponent] = x.toExponential().split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return String(x);
}

/** A boolean as Python writes it. */
export const pyBool = (b: boolean): string => (b ? 'True' : 'False');
