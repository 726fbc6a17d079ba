#!/bin/sh
# Everything waiting for compute, side by side on one lent GPU, in about 8 minutes.
#
#   OUT=out build_scripts/train_gpu.sh          # the device tool sets $OUT
#
# Needs .traindata/ in the checkout (git-ignored; carry it): train/, real/polyu_canon/ and
# ct_slices.npz (python -m restorer.training.mar_data --data ../shared/data --export-slices).
# Weights and their manifest entries go to $OUT/<job>/, logs to $OUT/*.log. Each job is
# independent: one that fails leaves the others' results.
set -u
OUT=${OUT:-out}
DATA=${DATA:-.traindata}
MINUTES=${MINUTES:-6.5}      # per denoising job, after its ~30 s of set-up
MAR_SIMULATION_S=${MAR_SIMULATION_S:-150}
MAR_MINUTES=${MAR_MINUTES:-3.5}
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

# 2. Narrower colour denoisers from scratch (issue 21: a CPU without AMX needs a network
#    about twice as fast for 2 MP/s end to end).
for shape in "16 32 64 128:2" "24 48 96 192:1"; do
    widths=${shape%:*}; blocks=${shape#*:}; name=slim$(echo "$widths" | cut -d' ' -f1)b$blocks
    python -m restorer.training denoise-color --data "$DATA" --real "$REAL" \
        --minutes "$MINUTES" --widths $widths --blocks "$blocks" --lr 1e-3 \
        --checkpoint-dir "runs/$name" --export "$OUT/$name" > "$OUT/$name.log" 2>&1 &
done

# 3. MAR: more randomised cases (12 scanners per training slice) simulated by 8 processes,
#    then mar-image continues from the bundled one on all of them (MAR=0 skips it).
[ "${MAR:-1}" = 0 ] || (
    for k in 0 1 2 3 4 5 6 7; do
        timeout "$MAR_SIMULATION_S" python -m restorer.training.mar_data --data "$DATA" \
            --out runs/gpu/mar_cache --per-slice 12 --shard "$k/8" --threads 1 &
    done
    wait
    ls runs/gpu/mar_cache/train | wc -l
    OMP_NUM_THREADS=4 python -m restorer.training mar-image --data "$DATA" \
        --minutes "$MAR_MINUTES" --batch 16 --lr 1e-4 --val-every 250 --patience 30 \
        --init resources/models/mar-image.safetensors --checkpoint-dir runs/gpu \
        --export "$OUT/mar"
) > "$OUT/mar.log" 2>&1 &

wait
ls -R "$OUT" | head -50
tail -n 3 "$OUT"/*.log
