#!/usr/bin/env node
// Checks that a built addon loads where PyTorch loads: no glibc symbol
// version newer than --max-glibc (default 2.28, the floor of PyTorch's
// manylinux_2_28 wheels) among its dynamic imports (objdump -T), and a
// run-time search path (readelf -d RUNPATH/RPATH) whose entries are all
// $ORIGIN-relative, or under an --allow-runpath prefix.
//
//   node scripts/check-binary.js BINARY [--max-glibc 2.28] [--allow-runpath /usr/lib/x86_64-linux-gnu] [--json]
//
// scripts/cuda/build-and-test.sh runs it on the CUDA prebuilt (strict: only
// $ORIGIN), CI on the CPU prebuilt (which links Debian's libtorch-dev and may
// name its system folders; docs/shipping.md says why). Exit status 1 and one
// line per problem when a check fails.
'use strict';

const childProcess = require('node:child_process');

/** [major, minor] of "2.28". */
function parseVersion(v) {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) throw new Error(`not a version: ${v}`);
  return [Number(m[1]), Number(m[2])];
}

const newer = (a, b) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

/** The symbols the binary imports with a GLIBC_x.y version: [{ symbol, version }]. */
function glibcImports(objdumpOutput) {
  const out = [];
  for (const line of objdumpOutput.split('\n')) {
    // 0000000000000000      DF *UND*	0000000000000000 (GLIBC_2.38) __isoc23_strtol
    const m = /\*UND\*\s+\S+\s+(?:\()?GLIBC_(\d+\.\d+(?:\.\d+)?)\)?\s+(\S+)/.exec(line);
    if (m) out.push({ symbol: m[2], version: m[1] });
  }
  return out;
}

/** The RUNPATH (or RPATH) entries. */
function runpathEntries(readelfOutput) {
  const m = /\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[(.*)\]/.exec(readelfOutput);
  return m ? m[1].split(':').filter(Boolean) : [];
}

/**
 * The problems of `binary`: glibc imports newer than `maxGlibc` and RUNPATH
 * entries neither $ORIGIN-relative nor under an allowed prefix.
 */
function checkBinary(binary, { maxGlibc = '2.28', allowRunpath = [] } = {}) {
  const run = (cmd, args) => {
    const r = childProcess.spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
    if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error ? r.error.message : r.stderr}`);
    return r.stdout;
  };
  const imports = glibcImports(run('objdump', ['-T', binary]));
  const limit = parseVersion(maxGlibc);
  const tooNew = imports.filter((i) => newer(parseVersion(i.version), limit));
  const runpath = runpathEntries(run('readelf', ['-d', binary]));
  const badPaths = runpath.filter((p) => !p.startsWith('$ORIGIN') && !allowRunpath.some((a) => p === a || p.startsWith(`${a}/`)));
  const maxSeen = imports.map((i) => i.version).sort((a, b) => (newer(parseVersion(a), parseVersion(b)) ? 1 : -1)).pop() || null;
  const problems = [
    ...tooNew.map((i) => `${i.symbol} needs GLIBC_${i.version} (newer than ${maxGlibc})`),
    ...badPaths.map((p) => `RUNPATH entry ${p} is neither $ORIGIN-relative nor allowed`),
  ];
  return { binary, maxGlibc: maxSeen, runpath, problems };
}

module.exports = { checkBinary, glibcImports, runpathEntries };

if (require.main === module) {
  const args = process.argv.slice(2);
  const opts = { maxGlibc: '2.28', allowRunpath: [] };
  let binary = null;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--max-glibc') opts.maxGlibc = args[++i];
    else if (args[i] === '--allow-runpath') opts.allowRunpath.push(args[++i]);
    else if (args[i] === '--json') json = true;
    else binary = args[i];
  }
  if (!binary) {
    console.error('usage: check-binary.js BINARY [--max-glibc 2.28] [--allow-runpath PREFIX] [--json]');
    process.exit(2);
  }
  try {
    const r = checkBinary(binary, opts);
    if (json) console.log(JSON.stringify(r));
    else {
      console.log(`check-binary: ${binary}: newest glibc symbol version ${r.maxGlibc || 'none'} (limit ${opts.maxGlibc}); ` +
        `RUNPATH [${r.runpath.join(':')}]`);
      for (const p of r.problems) console.error(`check-binary: ${p}`);
    }
    process.exitCode = r.problems.length ? 1 : 0;
  } catch (e) {
    console.error(`check-binary: ${e.message}`);
    process.exitCode = 1;
  }
}
