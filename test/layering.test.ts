// The layering of lib/ (DESIGN.md, "Layers"): imports form no cycle, and a
// layer imports only from the layers below it. Read from the TypeScript
// sources, so a violation fails here before it can fail at load time.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const LIB = path.resolve(__dirname, '..', '..', 'lib');

// Bottom to top. NOTE: DESIGN.md draws bench/ between models/ and eval/, but a
// workload is an SSL method stepped by the Trainer's step engine, so bench/
// imports ssl/ and train/: it sits above train/ here (and in docs/core.md).
const LAYERS = ['torch', 'nn', 'optim', 'data', 'models', 'eval', 'ssl', 'export', 'train', 'bench', 'dashboard', 'cli'];

/** Every .ts file under `dir`, as paths relative to lib/ without the extension. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(path.relative(LIB, full).replace(/\.ts$/, '').split(path.sep).join('/'));
    }
  }
  return out;
}

/** The files of lib/ that `file` imports (static, re-exports, type-only and dynamic imports alike). */
function importsOf(file: string, known: Set<string>): string[] {
  const text = fs.readFileSync(path.join(LIB, `${file}.ts`), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|(?:^|\n)\s*import\s+'([^']+)'|import\('([^']+)'\)|require\('([^']+)'\)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]).filter((s) => s.startsWith('.'));
  return specs.map((spec) => {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    if (known.has(target)) return target;
    if (known.has(`${target}/index`)) return `${target}/index`;
    throw new Error(`${file}.ts imports '${spec}', which is no file of lib/`);
  });
}

/** The import graph of lib/: file -> files it imports. */
function importGraph(): Map<string, string[]> {
  const files = sources(LIB);
  const known = new Set(files);
  return new Map(files.map((f) => [f, importsOf(f, known)]));
}

/** The strongly connected components of more than one file (or a file importing itself): the import cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The layer of a file of lib/ ('' for the package's root files such as index.ts). */
function layerOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : '';
}

describe('layering of lib/ (DESIGN.md)', () => {
  const graph = importGraph();

  it('reads a graph of the whole library', () => {
    assert.ok(graph.size > 100, `only ${graph.size} files found under ${LIB}`);
    assert.ok(graph.get('nn/layers/linear')!.includes('torch/arguments'), 'the import parser misses a known import');
  });

  it('has no import cycle', () => {
    const found = cycles(graph);
    assert.deepEqual(found, [], `import cycles:\n${found.map((c) => `  ${c.join(' -> ')}`).join('\n')}`);
  });

  it('knows every folder of lib/ as a layer', () => {
    const unknown = [...new Set([...graph.keys()].map(layerOf).filter((l) => l !== '' && !LAYERS.includes(l)))];
    assert.deepEqual(unknown, [], `folders of lib/ missing from the layer order: ${unknown.join(', ')}`);
  });

  it('imports only downward: no layer imports a higher one, none imports the root files', () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      if (from === '') continue;
      for (const target of targets) {
        const to = layerOf(target);
        if (to === '' || LAYERS.indexOf(to) > LAYERS.indexOf(from)) wrong.push(`${file} -> ${target}`);
      }
    }
    assert.deepEqual(wrong, [], `imports against the layer order ${LAYERS.join(' < ')}:\n  ${wrong.join('\n  ')}`);
  });
});
