#!/bin/sh
# Everything waiting for compute, side by side on one lent GPU, in about 8 minutes.
#
#   OUT=out build_scripts/train_gpu.sh          # the device tool sets $OUT
#
# build_scripts/prepare_gpu_run.sh readies the checkout for one call (denoisers or MAR) and
# prints the carry list and command. Needs .traindata/ in the checkout (git-ignored; carry
# it): train/, real/polyu_canon/ and ct_slices.npz (python -m restorer.training.mar_data
# --data ../shared/data --export-slices .traindata/ct_slices.npz: 23 MB since it carries the
# 512 px slices for the MAR cases at 512).
# Weights and their manifest entries go to $OUT/<job>/, logs to $OUT/*.log. Each job is
# independent: one that fails leaves the others' results.
#
# The tree that travels is limited to 64 MiB, tracked files included (79 MiB with every
# bundled model). What ran on 2026-11-30 (FINETUNE=0): the weights that no job here reads,
# docs/, tests/ and the samples left out of the index for the call (git rm -r --cached ...,
# listed in .git/info/exclude; git reset afterwards), carry [".traindata/ct_slices.npz",
# ".traindata/real", ".traindata/train/color", ".traindata/slim24b1.safetensors", ".whl"],
# and the command begins by installing .whl/simplejpeg (the real pairs' JPEG decoder):
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl &&
#   export PYTHONPATH=/tmp/site; rm -rf runs; FINETUNE=0 sh build_scripts/train_gpu.sh
# On 2026-11-30 (second call, MAR=0): the same, but mar-image, mar-sinogram and denoise-gray
# also left out of the index and denoise-color kept (the teacher): 10 MB tracked + 47 MB carried
# ([".traindata/real", ".traindata/train/color", ".traindata/slim24b1.safetensors", ".whl"]);
#   ... FINETUNE=0 MAR=0 MINUTES=8.2 sh build_scripts/train_gpu.sh   (524 s, timeout_s 600)
set -u
OUT=${OUT:-out}
DATA=${DATA:-.traindata}
MINUTES=${MINUTES:-6.5}      # per denoising job, after its ~30 s of set-up
MAR_SIMULATION_S=${MAR_SIMULATION_S:-150}
MAR_SINOGRAM_MINUTES=${MAR_SINOGRAM_MINUTES:-1.5}
MAR_MINUTES=${MAR_MINUTES:-2.5}
REAL="$DATA/real/polyu_canon"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2
nvidia-smi --query-gpu=name,memory.total --format=csv > "$OUT/gpu.txt" 2>&1

# 1. The bundled denoisers and noise estimator continue on real pairs and synthetic noise
#    (FINETUNE=0 skips them: the whole tree that travels to a lent machine is limited to
#    64 MiB, and the bundled weights with the training images are over it).
[ "${FINETUNE:-1}" = 0 ] || python -m restorer.training.all --data "$DATA" --real "$REAL" --minutes "$MINUTES" \
    --only denoise-color denoise-gray noise-map --fine-tune resources/models --lr 1e-4 \
    --checkpoint-dir runs/gpu --export "$OUT/finetune" > "$OUT/finetune.log" 2>&1 &

# 2. A narrower colour denoiser (issue 21: 2 MP/s on a CPU without AMX; widths 24-192 with one
#    block per level runs at 2.2-2.4 MP/s there warm, 1.56 MP/s at best for the whole command
#    against the bundled network's 1.05: see README "CPU runtime"). It continues from
#    $DATA/slim24b1.safetensors when that is present (the weights of the previous lent
#    machine's run, copied there), else starts from scratch.
#    With the bundled denoise-color present it is distilled from it (--teacher): its output
#    is half of each target. That file is 8.5 MB of the 64 MiB: run with MAR=0 then.
#    SLIM=0 skips it. (The 2026-11-30 weights are no longer on this machine.)
SLIM_INIT=""
SLIM_LR=1e-3
SLIM_TEACHER=""
BUNDLED_COLOR=resources/models/denoise-color.safetensors  # teacher, and 2b's starting point
if [ -f "$DATA/slim24b1.safetensors" ]; then
    SLIM_INIT="--init $DATA/slim24b1.safetensors"; SLIM_LR=3e-4
fi
[ ! -f "$BUNDLED_COLOR" ] || SLIM_TEACHER="--teacher $BUNDLED_COLOR"
[ "${SLIM:-1}" = 0 ] || python -m restorer.training denoise-color --data "$DATA" --real "$REAL" \
    --minutes "$MINUTES" --widths 24 48 96 192 --blocks 1 --lr "$SLIM_LR" $SLIM_INIT $SLIM_TEACHER \
    --checkpoint-dir runs/slim24b1 --export "$OUT/slim24b1" > "$OUT/slim24b1.log" 2>&1 &

# 2b. The next width up, 32-256 with one block per level (network 5.3 MP/s there against 3.0 for
#     the bundled 32-256 x2; the whole command 1.22 MP/s at best against 1.05), distilled from
#     the bundled network and starting from it: the last block of each of its stages
#     (--init of a deeper network; on the CPU, 300 steps: see README "CPU runtime"), else from
#     scratch (SLIM32=0 skips it).
SLIM32_INIT=""
SLIM32_LR=1e-3
if [ -f "$DATA/slim32b1.safetensors" ]; then  # an earlier run of this job, e.g. on a CPU
    SLIM32_INIT="--init $DATA/slim32b1.safetensors"; SLIM32_LR=3e-4
elif [ -f "$BUNDLED_COLOR" ]; then
    SLIM32_INIT="--init $BUNDLED_COLOR"; SLIM32_LR=3e-4
fi
[ "${SLIM32:-1}" = 0 ] || python -m restorer.training denoise-color --data "$DATA" --real "$REAL" \
    --minutes "$MINUTES" --widths 32 64 128 256 --blocks 1 --lr "$SLIM32_LR" $SLIM32_INIT \
    $SLIM_TEACHER --checkpoint-dir runs/slim32b1 --export "$OUT/slim32b1" \
    > "$OUT/slim32b1.log" 2>&1 &

# 3. MAR: more randomised cases (12 scanners per training slice, ECG electrodes on the skin
#    in 30 % of them) simulated by 8 processes, then mar-sinogram and mar-image continue from
#    the bundled ones on all of them, the second on the first's new output (MAR=0 skips it).
[ "${MAR:-1}" = 0 ] || (
    for k in 0 1 2 3 4 5 6 7; do
        timeout "$MAR_SIMULATION_S" python -m restorer.training.mar_data --data "$DATA" \
            --out runs/gpu/mar_cache --per-slice 12 --shard "$k/8" --threads 1 &
    done
    wait
    ls runs/gpu/mar_cache/train | wc -l
    OMP_NUM_THREADS=4 python -m restorer.training mar-sinogram --data "$DATA" \
        --minutes "$MAR_SINOGRAM_MINUTES" --batch 16 --lr 1e-4 --val-every 250 --patience 30 \
        --init resources/models/mar-sinogram.safetensors --checkpoint-dir runs/gpu \
        --export "$OUT/mar"
    OMP_NUM_THREADS=4 python -m restorer.training mar-image --data "$DATA" \
        --minutes "$MAR_MINUTES" --batch 16 --lr 1e-4 --val-every 250 --patience 30 \
        --init resources/models/mar-image.safetensors --checkpoint-dir runs/gpu \
        --export "$OUT/mar"
) > "$OUT/mar.log" 2>&1 &

wait
ls -R "$OUT" | head -50
tail -n 3 "$OUT"/*.log
