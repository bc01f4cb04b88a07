#!/usr/bin/env bash
# Builds the CUDA addon against the torch package of this machine's python3,
# runs the test suite on it, and writes the prebuilt CUDA binary out.
#
# For a Linux machine with an NVIDIA GPU, python3 with a CUDA torch, g++,
# cmake and the CUDA toolkit (nvcc), but no Node and no network. What it
# needs from the development machine travels in .carry/ (made there by
# scripts/cuda/make-carry.sh; docs/shipping.md has the whole procedure):
#   .carry/node.xz                a Node binary (or pass --node, or put one at /tmp/node)
#   .carry/include-node/          node_api.h, node_api_types.h, js_native_api.h, js_native_api_types.h
#   .carry/node_modules.tar.xz    the project's node_modules (used when node_modules/ is absent)
#
#   scripts/cuda/build-and-test.sh [--node PATH] [--out DIR] [--jobs N] [--skip-suite] [--cpu-dry-run] [--bench]
#
# --bench also runs the GPU speed comparison (scripts/bench-gpu.ts: PyTorch,
# then Node, the issue's four workloads at full scale) into $OUT/gpu-bench.txt
# and $OUT/gpu-bench.json, after the CUDA tests.
#
# --cpu-dry-run checks the plumbing on a machine without a GPU: it builds
# against the libtorch that scripts/find-libtorch.js finds (Debian's CPU
# libtorch-dev, say) and skips the CUDA checks.
#
# Output (in --out, default $OUT, else ./out-cuda): the prebuilt binary named
# by its flavour (selfsup.napi.glibc.torch-<major.minor>.cu<XYZ>.cxx11abi<0|1>.node),
# the test logs, `selfsup info`, and summary.txt with the README table row.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

NODE_BIN=""
OUT_DIR="${OUT:-$ROOT/out-cuda}"
JOBS="$(nproc 2>/dev/null || echo 4)"
SKIP_SUITE=0
DRY_RUN=0
BENCH=0
while [ $# -gt 0 ]; do
  case "$1" in
    --node) NODE_BIN="$2"; shift 2 ;;
    --out) OUT_DIR="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --skip-suite) SKIP_SUITE=1; shift ;;
    --cpu-dry-run) DRY_RUN=1; shift ;;
    --bench) BENCH=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "build-and-test.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
WORK="${TMPDIR:-/tmp}/selfsup-cuda"
mkdir -p "$WORK"

stage() { echo; echo "=== build-and-test: $* ($(date -u +%H:%M:%S))"; }
die() { echo "build-and-test: $*" >&2; exit 1; }

stage "node"
if [ -z "$NODE_BIN" ]; then
  if [ -f .carry/node.xz ]; then
    NODE_BIN="$WORK/bin/node"
    mkdir -p "$WORK/bin"
    xz -dc .carry/node.xz > "$NODE_BIN"
    chmod +x "$NODE_BIN"
  elif [ -x /tmp/node ]; then
    NODE_BIN=/tmp/node
  elif command -v node > /dev/null; then
    NODE_BIN="$(command -v node)"
  else
    die "no Node binary: pass --node PATH, put one at /tmp/node, or carry .carry/node.xz (scripts/cuda/make-carry.sh)"
  fi
fi
"$NODE_BIN" --version > /dev/null || die "$NODE_BIN does not run here"
# npm-less machine: put this node first on PATH for the scripts and tests that spawn `node`.
mkdir -p "$WORK/path"
ln -sf "$NODE_BIN" "$WORK/path/node"
export PATH="$WORK/path:$PATH"
echo "node $("$NODE_BIN" --version) ($NODE_BIN)"

NODE_HEADERS=""
for d in .carry/include-node "$(dirname "$(dirname "$(readlink -f "$NODE_BIN")")")/include/node"; do
  if [ -f "$d/node_api.h" ]; then NODE_HEADERS="$(cd "$d" && pwd)"; break; fi
done
[ -n "$NODE_HEADERS" ] || die "no node_api.h: carry .carry/include-node/ (scripts/cuda/make-carry.sh)"
echo "N-API headers: $NODE_HEADERS"

if [ ! -d node_modules ]; then
  [ -f .carry/node_modules.tar.xz ] || die "no node_modules/ and no .carry/node_modules.tar.xz"
  stage "unpacking .carry/node_modules.tar.xz"
  tar -xJf .carry/node_modules.tar.xz
fi
[ -f node_modules/node-addon-api/napi.h ] || die "node_modules/node-addon-api/napi.h is missing"

stage "torch"
PYTHON="$(command -v python3 || true)"
if [ "$DRY_RUN" = 1 ]; then
  TORCH_CMAKE="$("$NODE_BIN" scripts/find-libtorch.js --cmake-prefix-path)"
  [ -n "$TORCH_CMAKE" ] || die "--cpu-dry-run: find-libtorch found no libtorch with TorchConfig.cmake"
  FLAVOUR_FILE="$("$NODE_BIN" -e "const f = require('./scripts/find-libtorch'); console.log(f.prebuiltFileName(f.findLibtorch()))")"
  PYTHON="${SELFSUP_PYTHON:-/usr/bin/python3}"
else
  [ -n "$PYTHON" ] || die "no python3 on PATH"
  "$PYTHON" - <<'EOF' || die "python3 cannot import a CUDA torch"
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(),
      "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI)
assert torch.version.cuda, "this torch has no CUDA"
print("GPU:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none visible")
EOF
  TORCH_CMAKE="$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
  FLAVOUR_FILE="$("$NODE_BIN" -e "const f = require('./scripts/find-libtorch'); const found = f.findLibtorch();
    if (!found || !found.cuda) { console.error('find-libtorch did not find a CUDA libtorch: ' + JSON.stringify(found)); process.exit(1); }
    console.log(f.prebuiltFileName(found));")"
fi
echo "flavour: $FLAVOUR_FILE"

stage "cmake build against $TORCH_CMAKE"
# Under build/ (git-ignored, kept between runs on the device machine): reruns are incremental.
BUILD="$ROOT/build/cuda"
CMAKE_ARGS=(-S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$TORCH_CMAKE"
  "-DNODE_API_HEADERS=$NODE_HEADERS" "-DNODE_ADDON_API_DIR=$ROOT/node_modules/node-addon-api"
  "-DNODE_EXECUTABLE=$NODE_BIN")
if command -v nvcc > /dev/null; then CMAKE_ARGS+=("-DCMAKE_CUDA_COMPILER=$(command -v nvcc)"); fi
started=$(date +%s)
cmake "${CMAKE_ARGS[@]}" > "$OUT_DIR/cmake-configure.log" 2>&1 ||
  { tail -n 60 "$OUT_DIR/cmake-configure.log"; die "cmake configure failed: see $OUT_DIR/cmake-configure.log"; }
tail -n 5 "$OUT_DIR/cmake-configure.log"
cmake --build "$BUILD" -j "$JOBS" > "$OUT_DIR/cmake-build.log" 2>&1 ||
  { tail -n 60 "$OUT_DIR/cmake-build.log"; die "cmake build failed: see $OUT_DIR/cmake-build.log"; }
ADDON="$BUILD/selfsup.node"
[ -f "$ADDON" ] || die "the build wrote no $ADDON"
echo "built $ADDON in $(( $(date +%s) - started )) s"

stage "load test (child process, operator and backward pass, GPU)"
DRY_RUN="$DRY_RUN" "$NODE_BIN" -e "
  const { probeAddon } = require('./scripts/install');
  const r = probeAddon(process.argv[1]);
  if (!r.ok) { console.error(r.reason); process.exit(1); }
  const n = require(process.argv[1]);
  const c = n.config();
  const dry = process.env.DRY_RUN === '1';
  if (!c.builtWithCuda && !dry) { console.error('built without SELFSUP_WITH_CUDA: CMake did not see a CUDA libtorch'); process.exit(1); }
  console.log('libtorch ' + c.torchVersion + ', CUDA available ' + n.cudaIsAvailable() + ', devices ' +
    JSON.stringify(n.cudaDevices().map((d) => d.name + ' ' + (d.totalMemory / 2 ** 30).toFixed(0) + ' GiB')));
  if (!n.cudaIsAvailable() && !dry) process.exit(1);
" "$ADDON" || die "the CUDA addon does not load, or sees no GPU"

stage "TypeScript"
"$NODE_BIN" node_modules/typescript/bin/tsc -p . || echo "build-and-test: tsc reported errors (it still emitted dist/)"

export SELFSUP_ADDON="$ADDON"
# A GPU run must not pass by skipping: with this set, a missing GPU fails.
if [ "$DRY_RUN" = 0 ]; then export SELFSUP_TEST_DEVICE=cuda; fi
export SELFSUP_PYTHON="$PYTHON"
# test/install needs npm (not carried): the install tests run on the development machine.
MOCHA=(node_modules/mocha/bin/mocha.js --config .mocharc.json --timeout 300000 --ignore 'dist/test/install/**')
MOCHA_ONE=(node_modules/mocha/bin/mocha.js --no-config --node-option expose-gc --timeout 300000
  --reporter ./scripts/mocha-reporter.js)

stage "selfsup info"
"$NODE_BIN" bin/selfsup.js info 2>&1 | tee "$OUT_DIR/selfsup-info.txt" || echo "build-and-test: selfsup info failed"
"$NODE_BIN" bin/selfsup.js info --json > "$OUT_DIR/selfsup-info.json" || true

counts() { grep -E '^tests: [0-9]+ passed' "$1" | tail -n 1 || echo "tests: no summary line (the run crashed?)"; }

stage "CUDA tests (cuda, CUDA against CPU, transforms and safetensors on the device, CUDA graphs)"
set +e
"$NODE_BIN" "${MOCHA_ONE[@]}" dist/test/torch/cuda.test.js dist/test/torch/cuda-parity.test.js \
  dist/test/data/transforms/device.test.js dist/test/torch/safetensors.test.js dist/test/torch/cuda-graph.test.js \
  dist/test/train/graphed-step.test.js dist/test/train/speed-options.test.js 2>&1 | tee "$OUT_DIR/mocha-cuda.log"
CUDA_RC=${PIPESTATUS[0]}
SUITE_RC=0
BENCH_RC=0
if [ "$BENCH" = 1 ]; then
  stage "GPU speed comparison (PyTorch, then Node; img/s, TFLOP/s, ratio)"
  BENCH_DEVICE=cuda
  if [ "$DRY_RUN" = 1 ]; then BENCH_DEVICE=cpu; fi
  "$NODE_BIN" dist/scripts/bench-gpu.js --device "$BENCH_DEVICE" --python "$PYTHON" --json "$OUT_DIR/gpu-bench.json" 2>&1 |
    tee "$OUT_DIR/gpu-bench.txt"
  BENCH_RC=${PIPESTATUS[0]}
fi
if [ "$SKIP_SUITE" = 0 ]; then
  stage "the whole suite on the CUDA build (SELFSUP_TEST_DEVICE=cuda)"
  "$NODE_BIN" "${MOCHA[@]}" 2>&1 | tee "$OUT_DIR/mocha-suite.log"
  SUITE_RC=${PIPESTATUS[0]}
fi
set -e

stage "prebuilt binary"
cp "$ADDON" "$OUT_DIR/$FLAVOUR_FILE"
strip --strip-all "$OUT_DIR/$FLAVOUR_FILE" 2>/dev/null || true
readelf -d "$OUT_DIR/$FLAVOUR_FILE" | grep -E 'RUNPATH|RPATH' || true
ls -l "$OUT_DIR/$FLAVOUR_FILE"

# What the addon itself reports (the same numbers `selfsup info` printed).
TORCH_VERSION="$("$NODE_BIN" -p "require('$ADDON').config().torchVersion")"
GPU="$("$NODE_BIN" -p "const d = require('$ADDON').cudaDevices(); d.length ? d[0].name : 'no GPU'")"
CUDA_COUNTS="$(counts "$OUT_DIR/mocha-cuda.log")"
SUITE_COUNTS="$( [ "$SKIP_SUITE" = 0 ] && counts "$OUT_DIR/mocha-suite.log" || echo 'suite skipped')"
{
  echo "libtorch: $TORCH_VERSION ($TORCH_CMAKE)"
  echo "device: $GPU"
  echo "node: $("$NODE_BIN" --version)"
  echo "prebuilt: $FLAVOUR_FILE"
  echo "cuda.test: $CUDA_COUNTS (exit $CUDA_RC)"
  echo "suite: $SUITE_COUNTS (exit $SUITE_RC)"
  if [ "$BENCH" = 1 ]; then echo "bench: exit $BENCH_RC (tables in gpu-bench.txt)"; fi
  echo
  echo "README compatibility row:"
  echo "| $TORCH_VERSION | PyTorch wheel (\`python3 -c 'import torch'\`) | CUDA ($GPU) | cmake (scripts/cuda/build-and-test.sh) | ${SUITE_COUNTS#tests: } (\`SELFSUP_TEST_DEVICE=cuda\`; cuda.test: ${CUDA_COUNTS#tests: }) |"
} | tee "$OUT_DIR/summary.txt"

stage "done: copy $OUT_DIR/$FLAVOUR_FILE into prebuilds/linux-x64/ of the release checkout"
[ "$CUDA_RC" = 0 ] && [ "$SUITE_RC" = 0 ]
