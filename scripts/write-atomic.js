// Writes a file so that readers see the old content or the new one, never
// half of it: write a temporary file beside it, then rename over it.
'use strict';
const fs = require('node:fs');

function writeFileAtomic(file, data) {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

module.exports = { writeFileAtomic };
