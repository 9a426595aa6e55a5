#!/usr/bin/env bash
# One-shot GPU check for issue 12 (a session with a CUDA machine): the GPU benchmarks and the CUDA
# tests in one go, each section logged to $OUT (default ./gpu_check_out). Needs the venv active.
#   bash bench/gpu_check.sh            # ~10 min on one H200
# Prints: the training-step profile, the fused quadratic-net step's FLOP/s as a share of the same-dtype
# GEMM and its speed-up over the autograd step (R = 8 and 64), the paper-setting times (p = 47, 5 seeds;
# p = 97, 3 seeds; 3e4 steps, extrapolated), closed-form eNTK / same-size GEMM at p=97
# (target <= 1.3x), then tests/test_cuda.py (every claim at ci on cuda: same verdict as cpu, device
# recorded; the fused training step equal to the CPU and to autograd) and the device / stream tests.
set -u -o pipefail
OUT=${OUT:-gpu_check_out}
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'gpu_check.sh: no CUDA device')" || exit 2
mkdir -p "$OUT"
python -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" | tee "$OUT/device.txt"
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv > "$OUT/nvidia_smi.txt" 2>&1
echo "== bench_train (fused)";  timeout 300 python bench/bench_train.py --device cuda --ps 31 47 97 --R 8 --repeats 3 2>&1 | tee "$OUT/bench_train.txt"
echo "== bench_train R=64";     timeout 200 python bench/bench_train.py --device cuda --ps 47 97 --R 64 --repeats 3 --skip-profile --skip-paper 2>&1 | tee "$OUT/bench_train_r64.txt"
echo "== bench_ntk";            timeout 240 python bench/bench_ntk.py --device cuda --ps 13 31 61 --repeats 5 2>&1 | tee "$OUT/bench_ntk.txt"
echo "== pytest (cuda)";        timeout 900 python -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_device.py tests/test_streams.py 2>&1 | tee "$OUT/pytest_cuda.txt"
echo "logs in $OUT"
