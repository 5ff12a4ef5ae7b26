#!/usr/bin/env bash
# The one prepared run for a lent GPU machine (see .library/device): CUDA tests, the bench of the lecture's
# four networks, and the CUDA memory comparison. Everything it measures is written under $OUT; copy
# $OUT/bench to reports/bench/h200/ and $OUT/verify to reports/verify/cuda/.
#   run from the checkout root:  OUT=/tmp/out bash benchmarks/gpu_run.sh
set -u
export PYTHONPATH=. PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
mkdir -p "$OUT/bench" "$OUT/verify"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
python3 -c "import torch, torchvision, sys; print(sys.version.split()[0], torch.__version__, torchvision.__version__, torch.cuda.get_device_name())" > "$OUT/versions.txt" 2>&1
cat "$OUT/versions.txt"
# CUDA tests (the rest of the suite ran on the CPU in CI); files that need hypothesis or fvcore stay out
timeout 120 python3 -m pytest -q -p no:cacheprovider -rs -k "cuda or gpu" \
    tests/pytorch/test_bench.py tests/pytorch/test_verify.py tests/analyses/test_training.py tests/analyses/test_devices.py > "$OUT/pytest_cuda.log" 2>&1
tail -5 "$OUT/pytest_cuda.log"
timeout 300 python3 benchmarks/cuda_bench.py "$OUT/bench" --budget-s 220 > "$OUT/bench/cuda_bench.log" 2>&1
tail -3 "$OUT/bench/cuda_bench.log"
timeout 120 python3 benchmarks/cuda_verify.py "$OUT/verify" > "$OUT/verify/cuda_verify.log" 2>&1
tail -3 "$OUT/verify/cuda_verify.log"
ls -R "$OUT"
