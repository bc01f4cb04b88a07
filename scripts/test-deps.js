#!/usr/bin/env node
// `npm test` runs this first (pretest): the tests compare against Debian's
// python3-torch and python3-torchvision (reference values) and read the
// Fashion-MNIST files of dataset-fashion-mnist. Installs what is missing when
// running as root on Debian; otherwise stops with the command to run.
'use strict';

const childProcess = require('node:child_process');
const fs = require('node:fs');
const apt = require('./apt');

const PYTHON = '/usr/bin/python3';
const DATASET_FILE = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
// Lab colour references (skimage.color) and the photographs of --data photos (pretext tasks).
const PHOTOS_DIR = '/usr/share/backgrounds/mate/nature';

function pythonTorchWorks() {
  const r = childProcess.spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { stdio: 'ignore', timeout: 120000 });
  return r.status === 0;
}

function missingPackages() {
  const pkgs = [];
  if (!pythonTorchWorks()) pkgs.push('python3-torch', 'python3-torchvision');
  if (!fs.existsSync(DATASET_FILE)) pkgs.push('dataset-fashion-mnist');
  // The ONNX export tests run onnx.checker (full check) on every exported file.
  if (childProcess.spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore', timeout: 120000 }).status !== 0) pkgs.push('python3-onnx');
  // The dashboard test drives Debian's Chromium headless.
  if (!fs.existsSync('/usr/bin/chromium')) pkgs.push('chromium');
  const skimage = childProcess.spawnSync(PYTHON, ['-c', 'import skimage'], { stdio: 'ignore', timeout: 120000 });
  if (skimage.status !== 0) pkgs.push('python3-skimage');
  if (!fs.existsSync(PHOTOS_DIR)) pkgs.push('mate-backgrounds');
  if (!fs.existsSync('/usr/share/games/fortunes/science')) pkgs.push('fortunes');
  // test/scripts/cuda-wheels configures the nvcc-less CUDA build with CMake's Ninja generator
  // (python3-torch only recommends ninja-build).
  if (childProcess.spawnSync('ninja', ['--version'], { stdio: 'ignore' }).status !== 0) pkgs.push('ninja-build');
  return pkgs;
}

function main() {
  let missing = missingPackages();
  if (missing.length === 0) return 0;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!apt.canInstall()) {
    console.error(`selfsup: the tests need ${missing.join(', ')} (reference values from ${PYTHON} and the ` +
      `Fashion-MNIST files). Install them:\n    sudo ${command}`);
    return 1;
  }
  console.log(`selfsup: installing test dependencies: ${missing.join(' ')}`);
  apt.install(missing, { noRecommends: true });
  missing = missingPackages();
  if (missing.length) {
    console.error(`selfsup: still missing after apt-get: ${missing.join(', ')}. ` +
      `Check \`${PYTHON} -c 'import torch, torchvision'\` and ${DATASET_FILE}; try: sudo ${command}`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
