#!/usr/bin/env node
// Generates lib/torch/generated/aten.ts: TypeScript signatures for every ATen
// operator, read from the schemas that the built addon reports, so that
// `torch.ops.aten.<name>[.<overload>](...)` is typed in editors.
//
//   node scripts/gen-ops.js            (or `npm run gen:ops`)
//
// The addon comes from SELFSUP_ADDON or build/Release/selfsup.node. The output
// depends only on the operator schemas, sorted by name, so that running it
// twice against the same libtorch writes the same file.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { writeFileAtomic } = require('./write-atomic');

const ROOT = path.resolve(__dirname, '..');
const OUTPUT = path.join(ROOT, 'lib', 'torch', 'generated', 'aten.ts');

// Words that cannot name a parameter in strict-mode TypeScript.
const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null',
  'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with',
  'implements', 'interface', 'let', 'package', 'private', 'protected', 'public', 'static', 'yield', 'await',
  'arguments', 'eval',
]);

// Properties that lib/torch/ops.ts answers itself on an operator packet; an
// overload with one of these names cannot be reached as a property.
const PACKET_PROPERTIES = new Set(['overloads', 'name', 'length', 'call', 'apply', 'bind']);

function loadAddon() {
  const file = process.env.SELFSUP_ADDON
    ? path.resolve(process.env.SELFSUP_ADDON)
    : path.join(ROOT, 'build', 'Release', 'selfsup.node');
  if (!fs.existsSync(file)) {
    throw new Error(`gen-ops: the native addon is not built (looked for ${file}); run \`npm run build:native\` first`);
  }
  return require(file);
}

// Parses a type as the addon reports it, in either notation it has used:
// the schema language ('int[]?', 'Tensor?[]', 'Scalar', 'SymInt') or the
// Python one ('Optional[List[int]]', 'List[Optional[Tensor]]', 'number').
function parseType(text) {
  const s = text.trim();
  if (s.endsWith('?')) return { kind: 'optional', elem: parseType(s.slice(0, -1)) };
  const fixed = /^(.*)\[\d*\]$/.exec(s);
  if (fixed && !/^(Optional|List|Dict|Tuple)\[/.test(s)) return { kind: 'list', elem: parseType(fixed[1]) };
  const generic = /^(Optional|List)\[(.*)\]$/.exec(s);
  if (generic) return { kind: generic[1] === 'Optional' ? 'optional' : 'list', elem: parseType(generic[2]) };
  const aliases = { number: 'Scalar', SymInt: 'int', Dimname: 'str' };
  return { kind: 'base', name: aliases[s] || s };
}

// The schema-language spelling of a parsed type, without fixed lengths, so
// that messages read the same whichever notation the addon used.
function formatType(type) {
  if (type.kind === 'optional') return `${formatType(type.elem)}?`;
  if (type.kind === 'list') return `${formatType(type.elem)}[]`;
  return type.name;
}

const ARG_BASE = {
  Tensor: 'Tensor', int: 'number', float: 'number', bool: 'boolean', Scalar: 'Scalar', ScalarType: 'DType',
  Layout: "'strided'", MemoryFormat: 'MemoryFormat', Device: 'Device', str: 'string', Generator: 'Generator',
};

// The TS type of an argument, or null when the addon has no converter for it
// (the call then throws, naming the argument and its type).
function argType(type) {
  if (type.kind === 'optional') {
    const inner = argType(type.elem);
    return inner === null ? null : `${inner} | null`;
  }
  if (type.kind === 'list') {
    const e = type.elem;
    if (e.kind === 'base' && e.name === 'Tensor') return 'Tensor[]';
    if (e.kind === 'optional' && e.elem.kind === 'base' && e.elem.name === 'Tensor') return '(Tensor | null)[]';
    if (e.kind === 'base' && e.name === 'int') return 'number | number[]';
    if (e.kind === 'base' && e.name === 'float') return 'number[]';
    if (e.kind === 'base' && e.name === 'bool') return 'boolean[]';
    return null;
  }
  return ARG_BASE[type.name] || null;
}

const RETURN_BASE = { Tensor: 'Tensor', int: 'number', float: 'number', bool: 'boolean', Scalar: 'number | boolean', str: 'string' };

function returnType(type) {
  if (type.kind === 'optional') {
    return type.elem.kind === 'base' && type.elem.name === 'Tensor' ? 'Tensor | null' : 'unknown';
  }
  if (type.kind === 'list') {
    const e = type.elem;
    if (e.kind === 'base' && e.name === 'Tensor') return 'Tensor[]';
    if (e.kind === 'optional' && e.elem.kind === 'base' && e.elem.name === 'Tensor') return '(Tensor | null)[]';
    if (e.kind === 'base' && e.name === 'int') return 'number[]';
    return 'unknown';
  }
  return RETURN_BASE[type.name] || 'unknown';
}

function returnsType(info) {
  const parts = info.returns.map((r) => returnType(parseType(r.type)));
  if (parts.length === 0) return 'void';
  if (parts.length === 1) return parts[0];
  return `[${parts.join(', ')}]`;
}

function identifier(name) {
  return RESERVED.has(name) ? `${name}_` : name;
}

function propertyName(name) {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

// One argument, ready to print: its TS type and whether it may be left out.
function describeArg(arg) {
  const type = parseType(arg.type);
  const ts = argType(type);
  return {
    name: arg.name,
    type: ts === null ? 'unknown' : ts,
    supported: ts !== null,
    schemaType: formatType(type),
    omittable: arg.hasDefault || type.kind === 'optional',
    kwargOnly: arg.kwargOnly,
  };
}

// Parameters in order; an omittable one is `?` only when all after it are too.
function parameterList(args, followedByRequired) {
  let trailing = !followedByRequired;
  const out = new Array(args.length);
  for (let i = args.length - 1; i >= 0; i--) {
    const a = args[i];
    trailing = trailing && a.omittable;
    const type = !trailing && a.omittable && a.type !== 'unknown' ? `${a.type} | undefined` : a.type;
    out[i] = `${identifier(a.name)}${trailing ? '?' : ''}: ${type}`;
  }
  return out;
}

function kwargsObject(args, positional) {
  const props = args.map((a) => `${propertyName(a.name)}${a.omittable ? '?' : ''}: ${a.type}`);
  const name = positional.some((a) => identifier(a.name) === 'kwargs') ? 'keywords' : 'kwargs';
  return `${name}: { ${props.join('; ')} }`;
}

// The parameter lists of one overload: all arguments in schema order (as the
// runtime takes them), then, where the schema has keyword-only arguments, the
// positional ones followed by a keyword object, once for every number of
// trailing positional defaults given.
function signatures(info) {
  const args = info.args.map(describeArg);
  const lists = [parameterList(args, false)];
  const keywords = args.filter((a) => a.kwargOnly);
  if (keywords.length > 0) {
    const positional = args.filter((a) => !a.kwargOnly);
    let required = 0;
    positional.forEach((a, i) => { if (!a.omittable) required = i + 1; });
    for (let n = required; n <= positional.length; n++) {
      lists.push([...parameterList(positional.slice(0, n), true), kwargsObject(keywords, positional)]);
    }
  }
  return lists;
}

function docComment(info, indent) {
  const schema = info.schema.replace(/\*\//g, '*\\/');
  const lines = [schema.includes('`') ? schema : `\`${schema}\``];
  const unsupported = info.args.map(describeArg).filter((a) => !a.supported);
  for (const a of unsupported) {
    lines.push(`Not callable from selfsup yet: argument '${a.name}' has type ${a.schemaType}.`);
  }
  if (lines.length === 1) return `${indent}/** ${lines[0]} */`;
  return [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`].join('\n');
}

function compareOverloads(a, b) {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  return a < b ? -1 : 1;
}

/** Reads every aten operator's overloads: [[name, [OpInfo, ...]], ...], sorted. */
function collect(addon) {
  const byName = new Map();
  for (const qualified of addon.listOps()) {
    if (!qualified.startsWith('aten::')) continue;
    const rest = qualified.slice('aten::'.length);
    const dot = rest.indexOf('.');
    const name = dot < 0 ? rest : rest.slice(0, dot);
    const overload = dot < 0 ? '' : rest.slice(dot + 1);
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name).push(overload);
  }
  const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => {
    const overloads = [...new Set(byName.get(name))].sort(compareOverloads);
    return [name, overloads.map((o) => addon.opInfo(addon.lookupOp(name, o)))];
  });
}

function operatorType(name, infos) {
  const lines = [];
  lines.push(`  ${propertyName(name)}: {`);
  // An overload with an argument the addon cannot convert never accepts a
  // call, so the operator's own signatures leave it out unless nothing is left.
  const callable = infos.filter((info) => info.args.every((a) => describeArg(a).supported));
  for (const info of callable.length > 0 ? callable : infos) {
    const result = returnsType(info);
    for (const params of signatures(info)) {
      lines.push(docComment(info, '    '));
      lines.push(`    (${params.join(', ')}): ${result};`);
    }
  }
  lines.push("    /** The overload names in the runtime's order, '' for the unnamed one (reached as `default`). */");
  lines.push('    readonly overloads: string[];');
  for (const info of infos) {
    if (PACKET_PROPERTIES.has(info.overload)) continue;
    const property = propertyName(info.overload === '' ? 'default' : info.overload);
    const result = returnsType(info);
    lines.push(`    readonly ${property}: Overload & {`);
    for (const params of signatures(info)) {
      lines.push(docComment(info, '      '));
      lines.push(`      (${params.join(', ')}): ${result};`);
    }
    lines.push('    };');
  }
  lines.push('  };');
  return lines.join('\n');
}

/** The text of lib/torch/generated/aten.ts for the libtorch that `addon` runs. */
function generate(addon = loadAddon()) {
  const version = addon.config().torchVersion;
  const ops = collect(addon);
  const overloadCount = ops.reduce((n, [, infos]) => n + infos.length, 0);
  const head = [
    `// Generated by scripts/gen-ops.js from libtorch ${version} — do not edit.`,
    '// Regenerate with `npm run gen:ops` against the built addon.',
    `// ${ops.length} operators, ${overloadCount} overloads.`,
    "import type { Tensor } from '../tensor';",
    "import type { Generator } from '../random';",
    "import type { DType, Device, MemoryFormat } from '../dtype';",
    "import type { OpInfo } from '../native';",
    '',
    'type Scalar = number | boolean;',
    '',
    '/** What each overload carries besides its call signatures, as OpOverload in ../ops. */',
    'interface Overload {',
    "  /** The schema, as 'aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor'. */",
    '  readonly schema: string;',
    '  readonly info: OpInfo;',
    '}',
    '',
    '/**',
    ' * Every ATen operator with one call signature per schema overload (the',
    ' * runtime takes the first overload that accepts the arguments) and one',
    ' * property per overload name (`default` for the unnamed one). Keyword-only',
    ' * arguments may be given in order or in a trailing object.',
    ' * @example',
    ' * torch.ops.aten.add.Tensor(a, b, { alpha: 2 }); // a + 2 * b',
    ' * const [values, indices] = torch.ops.aten.max.dim(x, 1);',
    ' */',
    'export interface AtenOps {',
  ];
  const body = ops.map(([name, infos]) => operatorType(name, infos));
  return `${head.join('\n')}\n${body.join('\n')}\n}\n`;
}

module.exports = { generate, OUTPUT };

if (require.main === module) {
  const text = generate();
  fs.mkdirSync(path.dirname(OUTPUT), { recursive: true });
  writeFileAtomic(OUTPUT, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), OUTPUT)} (${text.length} bytes)\n`);
}
