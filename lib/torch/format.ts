// Printing tensors the way PyTorch does: tensor([[1., 2.], [3., 4.]], dtype=float64).
import { DType, isFloatingPoint, NestedArray } from './dtype';

/** Above this many elements only the shape is printed. */
const MAX_ELEMENTS = 1000;

function formatNumbers(flat: number[], dtype: DType): string[] {
  if (!isFloatingPoint(dtype)) return flat.map((v) => String(v));
  const finite = flat.filter((v) => Number.isFinite(v));
  const integral = finite.every((v) => Number.isInteger(v));
  const big = finite.some((v) => Math.abs(v) >= 1e8) || finite.some((v) => v !== 0 && Math.abs(v) < 1e-4);
  return flat.map((v) => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (big) return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
    return integral ? `${v}.` : v.toFixed(4);
  });
}

/**
 * The body of `tensor(...)`: nested brackets, rows on their own lines,
 * floats with a decimal point, booleans as True/False.
 */
export function formatTensor(values: NestedArray, shape: readonly number[], dtype: DType, extras: string[]): string {
  const n = shape.reduce((a, b) => a * b, 1);
  let body: string;
  if (n > MAX_ELEMENTS) {
    body = `[... ${n} elements, shape [${shape.join(', ')}]]`;
  } else if (dtype === 'bool') {
    body = render(values, (v) => (v ? 'True' : 'False'), 1);
  } else {
    const flat: number[] = [];
    const collect = (v: NestedArray): void => {
      if (Array.isArray(v)) v.forEach(collect);
      else flat.push(Number(v));
    };
    collect(values);
    const texts = formatNumbers(flat, dtype);
    const width = Math.max(0, ...texts.filter((_, i) => Number.isFinite(flat[i])).map((t) => t.length));
    let k = 0;
    body = render(values, () => texts[k++].padStart(width), 1);
  }
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}

function render(v: NestedArray, leaf: (x: number | boolean) => string, depth: number): string {
  if (!Array.isArray(v)) return leaf(v);
  const inner = v.map((e) => render(e, leaf, depth + 1));
  const nested = v.length > 0 && Array.isArray(v[0]);
  const sep = nested ? `,${'\n'.repeat(Math.max(1, countDepth(v) - 1))}${' '.repeat(7 + depth)}` : ', ';
  return `[${inner.join(sep)}]`;
}

function countDepth(v: NestedArray): number {
  let d = 0;
  for (let x: NestedArray = v; Array.isArray(x); x = x[0]) d++;
  return d;
}
