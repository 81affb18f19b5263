#!/usr/bin/env bash
# Every GPU check of skmm in one short call (issue 19), on a machine with an
# NVIDIA GPU, CuPy, Numba, scikit-learn, scikit-image and OpenCV:
#
#   1. install what that machine lacks (librosa, gensim, soundfile, soxr and
#      their few pure-Python dependencies) from wheels carried along, since
#      it cannot reach a package index;
#   2. benchmarks/gpu_probe.py: the environment, the CuPy behaviours of
#      ../shared/gpu/REVIEW.md, CPU-against-GPU parity with CuPy inputs;
#   3. every `gpu` test, where a skip is a failure (SKMM_REQUIRE_GPU=1);
#   4. benchmarks/bench_gpu_pipeline.py and benchmarks/bench_gpu_rows.py
#      (the GPU rows of the MFCC, HOG, dense SIFT, encoder and retrieval
#      benchmarks) at 10,000 and 100,000 samples.
#
# Compiled kernels are cached between runs: CuPy's in $CUPY_CACHE_DIR,
# Numba's in $NUMBA_CACHE_DIR (both default under .gpu_cache/ here). Each
# step has a time limit, cut to what is left of $SKMM_GPU_CHECK_SECONDS
# (540 s by default) so that the whole call ends within it; the exit
# status is 1 when any step failed. Output: run it as
#   bash benchmarks/run_gpu_checks.sh 2>&1 | tee gpu_checks.log
#
# Preparing the wheels, on a machine with PyPI (this repository's root):
#   bash benchmarks/run_gpu_checks.sh --download
# puts them in gpu_wheels/ (about 30 MiB, ignored by git); carry that folder
# to the GPU machine with the working tree (the device tool's `carry`).
#
# Rehearsal on a CPU machine, with tests/_cupy_stand_in.py playing CuPy:
#   bash benchmarks/run_gpu_checks.sh --stand-in
# (the gpu tests then skip, allowed there: SKMM_REQUIRE_GPU=0; sizes small).

set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WHEELS=${SKMM_GPU_WHEELS:-$ROOT/gpu_wheels}
PYTHON=${PYTHON:-python}
# The packages the GPU machine lacks, at the versions skmm's CI tests with.
PACKAGES=(
  librosa==0.11.0 gensim==4.4.0 soundfile==0.14.0 soxr==1.1.0
  audioread==3.1.0 pooch==1.9.0 lazy-loader==0.6 msgpack==1.2.4
  decorator==5.3.1 smart-open==9.0.2 wrapt==2.5.2 platformdirs==4.14.8
)

if [ "${1:-}" = "--download" ]; then
  mkdir -p "$WHEELS"
  exec "$PYTHON" -m pip download --dest "$WHEELS" --no-deps --only-binary=:all: \
    --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform any "${PACKAGES[@]}"
fi

STAND_IN=0
if [ "${1:-}" = "--stand-in" ]; then STAND_IN=1; fi

export PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH}
export CUPY_CACHE_DIR=${CUPY_CACHE_DIR:-$ROOT/.gpu_cache/cupy}
export NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$ROOT/.gpu_cache/numba}
export SCIPY_ARRAY_API=1
mkdir -p "$CUPY_CACHE_DIR" "$NUMBA_CACHE_DIR"
status=0
failed=()

DEADLINE=$((SECONDS + ${SKMM_GPU_CHECK_SECONDS:-540}))

step() {  # step NAME SECONDS COMMAND...: run with a limit, record a failure
  local name=$1 limit=$2
  shift 2
  local left=$((DEADLINE - SECONDS - 5))
  if [ "$left" -lt "$limit" ]; then limit=$left; fi
  if [ "$limit" -le 0 ]; then
    echo "=== $name: no time left ==="
    status=1; failed+=("$name (no time left)")
    return
  fi
  echo
  echo "=== $name (limit ${limit}s) ==="
  local start=$SECONDS
  timeout "$limit" "$@"
  local rc=$?
  echo "=== $name: exit $rc after $((SECONDS - start))s ==="
  if [ $rc -ne 0 ]; then status=1; failed+=("$name (exit $rc)"); fi
}

echo "=== machine ==="
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null \
  || echo "no nvidia-smi"
"$PYTHON" --version
nproc

missing=$("$PYTHON" - <<'EOF'
import importlib.util
names = ["librosa", "gensim", "soundfile", "soxr"]
print(" ".join(n for n in names if importlib.util.find_spec(n) is None))
EOF
)
if [ -n "$missing" ]; then
  if [ ! -d "$WHEELS" ]; then
    echo "Missing $missing and no wheels in $WHEELS: see --download above."
    exit 1
  fi
  step "install $missing" 60 "$PYTHON" -m pip install --no-index \
    --find-links "$WHEELS" "${PACKAGES[@]}"
else
  echo "librosa, gensim, soundfile and soxr are installed."
fi

if [ $STAND_IN -eq 1 ]; then
  export SKMM_REQUIRE_GPU=0
  DEADLINE=$((SECONDS + ${SKMM_GPU_CHECK_SECONDS:-1800}))
  step probe 300 "$PYTHON" benchmarks/gpu_probe.py --stand-in
  step "gpu tests (stand-in: skips allowed)" 300 "$PYTHON" -m pytest -q -p no:cacheprovider \
    -m gpu -rs tests/test_gpu_paths.py tests/utils/test_device.py
  step "GPU rows (stand-in)" 600 "$PYTHON" benchmarks/bench_gpu_rows.py --stand-in \
    --sizes 200 --cpu-samples 100 --reference-samples 10
else
  export SKMM_REQUIRE_GPU=1
  step probe 100 "$PYTHON" benchmarks/gpu_probe.py
  step "gpu tests (a skip fails)" 200 "$PYTHON" -m pytest -q -p no:cacheprovider \
    -m gpu -rs tests
  step "pipeline benchmark" 80 "$PYTHON" benchmarks/bench_gpu_pipeline.py \
    --sizes 10000 100000 --cpu-max 10000
  step "GPU rows" 200 "$PYTHON" benchmarks/bench_gpu_rows.py --sizes 10000 100000
fi

echo
if [ $status -eq 0 ]; then
  echo "ALL GPU CHECKS PASSED"
else
  echo "FAILED: ${failed[*]}"
fi
exit $status
