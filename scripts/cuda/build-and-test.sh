#!/usr/bin/env bash
# The whole GPU check in one or two calls: builds the portable CUDA addon
# against the torch package of this machine's python3, runs the CUDA tests,
# the four-workload speed comparison (PyTorch, torch.compile modes included,
# then Node, in one process each), the GPU recipe (100 epochs + its
# evaluation table) and the per-step operator comparison, each stage under
# its own time limit.
#
# For a Linux machine with an NVIDIA GPU, python3 with a CUDA torch, g++ and
# cmake (nvcc optional), but no Node and no network. What it needs travels in
# .carry/ (made on the development machine by scripts/cuda/make-carry.sh):
#   .carry/base/  node.xz, include-node/, node_modules.tar.xz, dist.tar.xz   (every stage)
#   .carry/data/  fashion-mnist/                                           (recipe stage)
# Unpacked once into build/carry/ (git-ignored, kept on a warm machine between calls).
#
#   scripts/cuda/build-and-test.sh [--stages build,tests,bench,recipe,profile] [--out DIR] [--node PATH] [--jobs N]
#       [--limit-build S] [--limit-tests S] [--limit-bench S] [--limit-recipe S] [--limit-profile S]
#       [--compile-modes default,max-autotune-no-cudagraphs,reduce-overhead|none] [--compile-timeout S]
#       [--compile-budget S]
#       [--epochs N] [--cpu-dry-run]
#
# Stages (in this order; any subset, e.g. two calls "build,tests,bench" and "build,recipe"):
#   build   cmake build of the addon (SELFSUP_PORTABLE: RUNPATH $ORIGIN/torch-lib only), the glibc
#           (<= 2.28) and RUNPATH checks (scripts/check-binary.js), a child-process load test, the
#           prebuilt copy with its native-source record. Later stages of a later call reuse the build.
#   tests   the CUDA test files (SELFSUP_TEST_DEVICE=cuda: a missing GPU fails, nothing skips); every test file
#           that asks whether CUDA is available is listed (test/scripts/cuda-script.test.ts checks)
#   bench   scripts/bench-gpu.ts: all four workloads in one Node process (it fails when the reserved
#           GPU memory does not return near its start after a workload), PyTorch with its compile
#           columns (each in its own process, at most --compile-timeout s each (default 60) and
#           --compile-budget s for all of them (default 150); the rest are reported skipped)
#   recipe  selfsup train --config examples/configs/simclr-resnet18-gpu.json on the carried Fashion-MNIST
#   profile scripts/profile-step.ts (issue 19): one eager step of each workload profiled on both sides (operators by
#           name with counts, host syncs, allocations, host time per step; Node against PyTorch), full scale, eager
#
# Each call returns at most 8 files: run profile in a call without bench (e.g. "build,recipe,profile").
#
# Output (--out, default $OUT, else ./out-cuda), at most 8 files, each cut to under 16 MiB:
#   <prebuilt>.node, <prebuilt>.node.json, build.log, tests.log, bench.txt, bench.json, recipe.log,
#   profile.txt, summary.txt (timeline, versions, test counts, bench best-against-best, recipe table, profile totals).
#
# --cpu-dry-run checks the plumbing on a machine without a GPU: the same stages against the libtorch
# that scripts/find-libtorch.js finds (Debian's CPU libtorch-dev), small bench, a 3-step recipe.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

STAGES="build,tests,bench,recipe"
NODE_BIN=""
OUT_DIR="${OUT:-$ROOT/out-cuda}"
JOBS="$(nproc 2>/dev/null || echo 4)"
DRY_RUN=0
LIMIT_BUILD=180
LIMIT_TESTS=300
LIMIT_BENCH=300
LIMIT_RECIPE=420
LIMIT_PROFILE=180
COMPILE_MODES="default,max-autotune-no-cudagraphs,reduce-overhead"
COMPILE_TIMEOUT=60
COMPILE_BUDGET=150
EPOCHS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --stages) STAGES="$2"; shift 2 ;;
    --node) NODE_BIN="$2"; shift 2 ;;
    --out) OUT_DIR="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --limit-build) LIMIT_BUILD="$2"; shift 2 ;;
    --limit-tests) LIMIT_TESTS="$2"; shift 2 ;;
    --limit-bench) LIMIT_BENCH="$2"; shift 2 ;;
    --limit-recipe) LIMIT_RECIPE="$2"; shift 2 ;;
    --limit-profile) LIMIT_PROFILE="$2"; shift 2 ;;
    --compile-modes) COMPILE_MODES="$2"; shift 2 ;;
    --compile-timeout) COMPILE_TIMEOUT="$2"; shift 2 ;;
    --compile-budget) COMPILE_BUDGET="$2"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --cpu-dry-run) DRY_RUN=1; shift ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "build-and-test: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for s in ${STAGES//,/ }; do
  case "$s" in build|tests|bench|recipe|profile) ;; *) echo "build-and-test: unknown stage '$s' (build, tests, bench, recipe, profile)" >&2; exit 2 ;; esac
done
want() { [[ ",$STAGES," == *",$1,"* ]]; }

mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
CARRY="$ROOT/build/carry"
BUILD="$ROOT/build/cuda"
mkdir -p "$CARRY" "$BUILD"
T0=$(date +%s)
TIMELINE=()
FAILED=()
SUMMARY_EXTRA=()

note() { echo "=== build-and-test [+$(( $(date +%s) - T0 ))s] $*"; }
die() { echo "build-and-test: $*" >&2; exit 1; }

# Runs "$@" (a stage function) under `timeout LIMIT`, records start, duration and status on the timeline.
run_stage() {
  local name="$1" limit="$2"; shift 2
  local start=$(( $(date +%s) - T0 ))
  note "stage $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" bash -c "$(declare -f); $*" 
  local rc=$?
  local took=$(( $(date +%s) - T0 - start ))
  local status="ok"
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then status="TIMED OUT after ${limit}s"; elif [ "$rc" != 0 ]; then status="FAILED (exit $rc)"; fi
  [ "$status" = ok ] || FAILED+=("$name")
  TIMELINE+=("$(printf '%-7s start +%4ss  took %4ss  %s' "$name" "$start" "$took" "$status")")
  note "stage $name: $status (${took}s)"
  return 0
}

# ---- set-up (not timed as a stage: seconds) -------------------------------------------------------------
if [ -f .carry/base/node.xz ] && { [ ! -x "$CARRY/node" ] || [ .carry/base/node.xz -nt "$CARRY/node" ]; }; then
  xz -dc .carry/base/node.xz > "$CARRY/node.tmp" && chmod +x "$CARRY/node.tmp" && mv "$CARRY/node.tmp" "$CARRY/node"
fi
if [ -z "$NODE_BIN" ]; then
  for c in "$CARRY/node" /tmp/node "$(command -v node || true)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then NODE_BIN="$c"; break; fi
  done
fi
[ -n "$NODE_BIN" ] && "$NODE_BIN" --version > /dev/null 2>&1 ||
  die "no Node binary: carry .carry/base/node.xz (scripts/cuda/make-carry.sh), pass --node PATH or put one at /tmp/node"
mkdir -p "$CARRY/path"
ln -sf "$NODE_BIN" "$CARRY/path/node"
export PATH="$CARRY/path:$PATH"
if [ -f .carry/base/node_modules.tar.xz ] && [ ! -e node_modules/node-addon-api/napi.h ]; then
  tar -xJf .carry/base/node_modules.tar.xz
fi
[ -f node_modules/node-addon-api/napi.h ] || die "node_modules/node-addon-api/napi.h is missing (carry .carry/base)"
if [ -f .carry/base/dist.tar.xz ]; then tar -xJf .carry/base/dist.tar.xz; fi
[ -f dist/lib/index.js ] || die "dist/ is missing: carry .carry/base/dist.tar.xz (scripts/cuda/make-carry.sh)"
NODE_HEADERS=""
for d in .carry/base/include-node "$(dirname "$(dirname "$(readlink -f "$NODE_BIN")")")/include/node" \
    node_modules/node-api-headers/include; do
  if [ -f "$d/node_api.h" ]; then NODE_HEADERS="$(cd "$d" && pwd)"; break; fi
done
if [ -n "$NODE_HEADERS" ]; then mkdir -p "$CARRY/include-node" && cp "$NODE_HEADERS"/*.h "$CARRY/include-node/"; fi
NODE_HEADERS="$CARRY/include-node"
if [ -d .carry/data/fashion-mnist ]; then
  [ -L "$CARRY/fashion-mnist" ] && rm "$CARRY/fashion-mnist"  # an earlier run's link to Debian's copy: unpack beside it
  mkdir -p "$CARRY/fashion-mnist"
  for f in .carry/data/fashion-mnist/*; do
    case "$f" in
      *.xz) t="$CARRY/fashion-mnist/$(basename "$f" .xz)"  # make-carry.sh's xz-recompressed IDX files, unpacked raw
        if [ ! -f "$t" ] || [ "$f" -nt "$t" ]; then xz -dc "$f" > "$t.tmp" && mv "$t.tmp" "$t" || die "cannot unpack $f"; fi ;;
      *) cp -u "$f" "$CARRY/fashion-mnist/" ;;
    esac
  done
elif [ ! -d "$CARRY/fashion-mnist" ] && [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  ln -sfn /usr/share/datasets/fashion-mnist "$CARRY/fashion-mnist"  # a development machine with Debian's package
fi

if [ "$DRY_RUN" = 1 ]; then
  PYTHON="${SELFSUP_PYTHON:-/usr/bin/python3}"
  TORCH_CMAKE="$("$NODE_BIN" scripts/find-libtorch.js --cmake-prefix-path)"
  TORCH_LIB="$("$NODE_BIN" scripts/find-libtorch.js --lib-dir)"
  DEVICE=cpu
else
  PYTHON="$(command -v python3 || true)"
  [ -n "$PYTHON" ] || die "no python3 on PATH"
  TORCH_CMAKE="$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)')" || die "python3 cannot import torch"
  TORCH_LIB="$("$PYTHON" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
  DEVICE=cuda
fi
FLAVOUR_FILE="$("$NODE_BIN" -e "const f = require('./scripts/find-libtorch'); const found = f.findLibtorch();
  if (!found) { console.error('find-libtorch found no libtorch'); process.exit(1); }
  if (!found.cuda && process.argv[1] !== '1') { console.error('find-libtorch did not find a CUDA libtorch: ' + JSON.stringify(found)); process.exit(1); }
  console.log(f.prebuiltFileName(found));" "$DRY_RUN")" || die "no libtorch of the expected kind"
ADDON="$BUILD/selfsup.node"
export NODE_BIN PYTHON TORCH_CMAKE TORCH_LIB DEVICE FLAVOUR_FILE ADDON BUILD ROOT OUT_DIR NODE_HEADERS JOBS DRY_RUN CARRY \
  COMPILE_MODES COMPILE_TIMEOUT COMPILE_BUDGET EPOCHS
note "node $("$NODE_BIN" --version), python $PYTHON, torch cmake $TORCH_CMAKE, flavour $FLAVOUR_FILE, stages $STAGES"

# ---- stages ------------------------------------------------------------------------------------------------
stage_build() {
  set -e
  {
    "$PYTHON" - <<'EOF' || true
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(),
      "cxx11abi", torch._C._GLIBCXX_USE_CXX11_ABI, "GPU", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")
EOF
    local args=(-S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$TORCH_CMAKE" -DSELFSUP_PORTABLE=ON
      "-DNODE_API_HEADERS=$NODE_HEADERS" "-DNODE_ADDON_API_DIR=$ROOT/node_modules/node-addon-api" "-DNODE_EXECUTABLE=$NODE_BIN")
    if command -v nvcc > /dev/null; then args+=("-DCMAKE_CUDA_COMPILER=$(command -v nvcc)")
    elif [ "$DRY_RUN" = 0 ]; then
      # No nvcc: libtorch's flags and the nvidia wheels' CUDA headers from find-libtorch.js (CMakeLists.txt).
      args+=(-DSELFSUP_NO_TORCH_CMAKE=ON)
    fi
    # The distributed code follows libtorch's c10d API, which changes between releases (native/c10d_versions.h
    # covers the versions known when it was written). When only native/distributed*.cc fail, build again without
    # NCCL, then with the distributed functions as stubs, so the other stages still run; summary.txt says which.
    local mode failed built=0
    for mode in auto no-nccl stubs; do
      cmake "${args[@]}" "-DSELFSUP_C10D=$mode"
      if cmake --build "$BUILD" -j "$JOBS"; then echo "c10d: built with SELFSUP_C10D=$mode"; built=1; break; fi
      # Objects that failed (ninja: "FAILED: <object>", make: "*** [<makefile>: <object>] Error"), other than the two.
      failed="$(grep -E '^FAILED: |\*\*\* \[' "$OUT_DIR/build.log" | grep -oE '[A-Za-z0-9_/.-]+\.cc\.o' | sort -u |
        grep -vE 'native/distributed(_autograd)?\.cc\.o' || true)"
      if [ -n "$failed" ]; then break; fi
      echo "c10d: the build failed in native/distributed*.cc with SELFSUP_C10D=$mode (errors above); trying the next mode"
    done
    [ "$built" = 1 ]
  } > "$OUT_DIR/build.log" 2>&1 || { tail -n 40 "$OUT_DIR/build.log"; exit 1; }
  [ -f "$ADDON" ] || { echo "the build wrote no $ADDON"; exit 1; }
  # The portable binary finds libtorch through $ORIGIN/torch-lib, as install.js links it for users.
  ln -sfn "$TORCH_LIB" "$BUILD/torch-lib"
  "$NODE_BIN" scripts/check-binary.js "$ADDON" --max-glibc 2.28 2>&1 | tee -a "$OUT_DIR/build.log"
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "the binary fails the glibc/RUNPATH checks (above)"; exit 1; }
  "$NODE_BIN" -e "
    const { probeAddon } = require('./scripts/install');
    const r = probeAddon(process.argv[1]);
    if (!r.ok) { console.error(r.reason); process.exit(1); }
    const n = require(process.argv[1]);
    const c = n.config();
    const dry = process.env.DRY_RUN === '1';
    if (!c.builtWithCuda && !dry) { console.error('built without SELFSUP_WITH_CUDA: CMake did not see a CUDA libtorch'); process.exit(1); }
    console.log('load test: libtorch ' + c.torchVersion + ', CUDA available ' + n.cudaIsAvailable() + ', devices ' +
      JSON.stringify(n.cudaDevices().map((d) => d.name + ' ' + (d.totalMemory / 2 ** 30).toFixed(0) + ' GiB')));
    let backends;
    try { backends = JSON.stringify(n.distBackends()); } catch (e) { backends = 'none (' + e.message + ')'; }
    console.log('c10d: distributed backends ' + backends);
    if (!n.cudaIsAvailable() && !dry) process.exit(1);
  " "$ADDON" 2>&1 | tee -a "$OUT_DIR/build.log"
  [ "${PIPESTATUS[0]}" = 0 ] || exit 1
  cp "$ADDON" "$OUT_DIR/$FLAVOUR_FILE"
  strip --strip-unneeded "$OUT_DIR/$FLAVOUR_FILE"
  "$NODE_BIN" scripts/native-hash.js --write "$OUT_DIR/$FLAVOUR_FILE" >> "$OUT_DIR/build.log"
  SELFSUP_ADDON="$ADDON" "$NODE_BIN" bin/selfsup.js info >> "$OUT_DIR/build.log" 2>&1 || true
  ls -l "$OUT_DIR/$FLAVOUR_FILE"
}

stage_tests() {
  [ -f "$ADDON" ] || { echo "no $ADDON: run the build stage first"; exit 1; }
  export SELFSUP_ADDON="$ADDON" SELFSUP_PYTHON="$PYTHON"
  # A GPU run must not pass by skipping: with this set, a missing GPU fails.
  if [ "$DRY_RUN" = 0 ]; then export SELFSUP_TEST_DEVICE=cuda; fi
  "$NODE_BIN" node_modules/mocha/bin/mocha.js --no-config --node-option expose-gc --timeout 300000 \
    --reporter ./scripts/mocha-reporter.js \
    dist/test/torch/cuda.test.js dist/test/torch/cuda-parity.test.js dist/test/torch/backends.test.js \
    dist/test/torch/warnings.test.js dist/test/data/transforms/device.test.js dist/test/torch/safetensors.test.js \
    dist/test/torch/cuda-graph.test.js dist/test/train/graphed-step.test.js dist/test/train/speed-options.test.js \
    dist/test/ssl/pretext/device-values.test.js dist/test/ssl/pretext/context-encoder-values.test.js dist/test/torch/creation.test.js \
    dist/test/torch/distributed/collective-device.test.js dist/test/torch/distributed/nccl.test.js \
    dist/test/torch/distributed/collectives.test.js dist/test/torch/distributed/interop.test.js \
    dist/test/train/data-parallel-values.test.js dist/test/ssl/global-negatives.test.js \
    > "$OUT_DIR/tests.log" 2>&1
  local rc=$?
  grep -E '^tests: [0-9]+ passed' "$OUT_DIR/tests.log" | tail -n 1
  grep -E '^failed: ' "$OUT_DIR/tests.log" | head -n 20
  exit $rc
}

stage_bench() {
  [ -f "$ADDON" ] || { echo "no $ADDON: run the build stage first"; exit 1; }
  export SELFSUP_ADDON="$ADDON" SELFSUP_COMPILE_MODES="$COMPILE_MODES" SELFSUP_COMPILE_TIMEOUT="$COMPILE_TIMEOUT" \
    SELFSUP_COMPILE_BUDGET="$COMPILE_BUDGET"
  local extra=()
  if [ "$DRY_RUN" = 1 ]; then extra=(--workloads simclr,mae --steps 1 --warmup 1); fi
  "$NODE_BIN" dist/scripts/bench-gpu.js --device "$DEVICE" --python "$PYTHON" --json "$OUT_DIR/bench.json" "${extra[@]}" \
    > "$OUT_DIR/bench.txt" 2>&1
  local rc=$?
  sed -n '/### Best against best/,$p' "$OUT_DIR/bench.txt"
  exit $rc
}

stage_recipe() {
  [ -f "$ADDON" ] || { echo "no $ADDON: run the build stage first"; exit 1; }
  [ -f "$CARRY/fashion-mnist/train-images-idx3-ubyte.gz" ] || [ -f "$CARRY/fashion-mnist/train-images-idx3-ubyte" ] ||
    { echo "no Fashion-MNIST: carry .carry/data"; exit 1; }
  export SELFSUP_ADDON="$ADDON"
  local run="$BUILD/recipe-run"
  rm -rf "$run"
  local args=(train --config examples/configs/simclr-resnet18-gpu.json --data "fashion-mnist:$CARRY/fashion-mnist"
    --out "$run" --progress lines)
  if [ -n "$EPOCHS" ]; then args+=(--epochs "$EPOCHS"); fi
  if [ "$DRY_RUN" = 1 ]; then
    # The plumbing only: a few CPU steps of a small encoder, a small evaluation.
    "$NODE_BIN" -e "const c = require('./examples/configs/simclr-resnet18-gpu.json'); delete c.epochs; Object.assign(c,
      { steps: 3, batchSize: 16, device: 'cpu', encoder: 'small_cnn', encoderOptions: {}, knnEvery: 0 });
      require('fs').writeFileSync(process.argv[1], JSON.stringify(c));" "$BUILD/recipe-dry.json"
    args=(train --config "$BUILD/recipe-dry.json" --data "fashion-mnist:$CARRY/fashion-mnist" --out "$run"
      --progress lines --eval-train-subset 1000)
  fi
  "$NODE_BIN" bin/selfsup.js "${args[@]}" > "$OUT_DIR/recipe.log" 2>&1
  local rc=$?
  tail -n 12 "$OUT_DIR/recipe.log"
  exit $rc
}

stage_profile() {
  [ -f "$ADDON" ] || { echo "no $ADDON: run the build stage first"; exit 1; }
  export SELFSUP_ADDON="$ADDON"
  # Fewer timed steps than the bench: host time per eager step is the number wanted, and 10 are enough for a median.
  local extra=(--steps 10 --warmup 3)
  if [ "$DRY_RUN" = 1 ]; then extra=(--workloads simclr,mae --steps 1 --warmup 1); fi
  "$NODE_BIN" dist/scripts/profile-step.js --device "$DEVICE" --python "$PYTHON" --all "${extra[@]}" > "$OUT_DIR/profile.txt" 2>&1
  local rc=$?
  grep -E '^### |^\| (ATen operators|operators called|host syncs|host time|allocations) ' "$OUT_DIR/profile.txt"
  exit $rc
}

want build && run_stage build "$LIMIT_BUILD" stage_build
want tests && run_stage tests "$LIMIT_TESTS" stage_tests
want bench && run_stage bench "$LIMIT_BENCH" stage_bench
want recipe && run_stage recipe "$LIMIT_RECIPE" stage_recipe
want profile && run_stage profile "$LIMIT_PROFILE" stage_profile

# ---- summary --------------------------------------------------------------------------------------------
# Keep every output file under 16 MiB (the device tool's limit): long logs keep their ends.
for f in "$OUT_DIR"/*.log "$OUT_DIR"/*.txt; do
  [ -f "$f" ] || continue
  if [ "$(stat -c %s "$f")" -gt $((15 * 1024 * 1024)) ]; then
    { head -c $((2 * 1024 * 1024)) "$f"; echo; echo "[... cut to stay under 16 MiB ...]"; tail -c $((12 * 1024 * 1024)) "$f"; } > "$f.cut"
    mv "$f.cut" "$f"
  fi
done
{
  echo "build-and-test.sh --stages $STAGES$( [ "$DRY_RUN" = 1 ] && echo ' --cpu-dry-run') ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo "node $("$NODE_BIN" --version); torch cmake $TORCH_CMAKE; prebuilt $FLAVOUR_FILE"
  echo
  echo "timeline:"
  printf '  %s\n' "${TIMELINE[@]}"
  echo "  total ${SECONDS}s"
  if [ -f "$OUT_DIR/build.log" ]; then echo; grep -E '^(torch |check-binary:|load test:|c10d: )' "$OUT_DIR/build.log" | tail -n 8; fi
  if [ -f "$OUT_DIR/tests.log" ]; then echo; echo "tests: $(grep -E '^tests: [0-9]+ passed' "$OUT_DIR/tests.log" | tail -n 1)"
    grep -E '^failed: ' "$OUT_DIR/tests.log" | head -n 20; fi
  if [ -f "$OUT_DIR/bench.txt" ]; then echo; grep -E '^(## |Node v|Math modes|Reserved GPU memory)' "$OUT_DIR/bench.txt"; sed -n '/### Best against best/,/^$/p' "$OUT_DIR/bench.txt"; fi
  if [ -f "$OUT_DIR/recipe.log" ]; then echo; echo "recipe (last lines of recipe.log):"; tail -n 14 "$OUT_DIR/recipe.log"; fi
  if [ -f "$OUT_DIR/profile.txt" ]; then
    echo; echo "profile (operators per eager step, Node against PyTorch; all of it in profile.txt):"
    grep -E '^### |^\| (ATen operators|operators called|host syncs|host time|allocations) ' "$OUT_DIR/profile.txt"
  fi
  echo
  echo "files: $(cd "$OUT_DIR" && ls | tr '\n' ' ')"
  [ ${#FAILED[@]} = 0 ] && echo "result: every stage passed" || echo "result: FAILED: ${FAILED[*]}"
} > "$OUT_DIR/summary.txt"
cat "$OUT_DIR/summary.txt"
n_files=$(ls "$OUT_DIR" | wc -l)
[ "$n_files" -le 8 ] || echo "build-and-test: WARNING: $n_files files in $OUT_DIR (the device tool returns at most 8)" >&2
[ ${#FAILED[@]} = 0 ]
