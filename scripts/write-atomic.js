// Writes a file so that readers see the old content or the new one, never
// half of it: write a temporary file beside it, flush it to disk, then rename
// over it. lib/torch/atomic-file.ts is the library's full version; this copy
// exists because install.js and gen-ops.js run before the TypeScript is compiled.
'use strict';
const fs = require('node:fs');

function writeFileAtomic(file, data) {
  const tmp = `${file}.tmp-${process.pid}`;
  let fd;
  try {
    fd = fs.openSync(tmp, 'w');
    fs.writeFileSync(fd, data);
    // NOTE: without the fsync a power cut after the rename can leave an empty file.
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

module.exports = { writeFileAtomic };
