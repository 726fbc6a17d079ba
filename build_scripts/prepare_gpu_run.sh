#!/bin/sh
# Readies this checkout for one call of build_scripts/train_gpu.sh on a lent GPU, at no device
# time, so that the lent machine's first minutes train. That machine has no ../shared, no
# package index, and takes at most 64 MiB a call (tracked files and carried paths together),
# less than the bundled weights plus the training images: so one call trains one part.
#
#   build_scripts/prepare_gpu_run.sh ../shared/data denoise   # the narrower colour denoisers
#   build_scripts/prepare_gpu_run.sh ../shared/data mar       # the MAR pair
#
# It fills .traindata/ and .whl/ (both git-ignored), takes out of the index for the call the
# tracked files that part does not read (undo with `git reset` after the call: nothing is
# deleted), and prints the `run` tool's carry list, command and timeout.
set -eu
SRC=${1:?usage: prepare_gpu_run.sh DATA_DIR denoise|mar}
PART=${2:?usage: prepare_gpu_run.sh DATA_DIR denoise|mar}
cd "$(dirname "$0")/.."
mkdir -p .traindata/train .traindata/real

# The real pairs' JPEG decoder travels as a wheel (the lent machine's Python is 3.12).
if ! ls .whl/simplejpeg-*.whl > /dev/null 2>&1; then
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl simplejpeg
fi
grep -qx '/.whl/' .git/info/exclude 2> /dev/null || echo '/.whl/' >> .git/info/exclude

# Tracked files no part reads there.
git rm -r -q --cached --ignore-unmatch docs tests resources/samples resources/translations \
    resources/models/logs
WEIGHTS="defects denoise-gray inpaint jpeg-color noise-map sr-x2 sr-x2-real sr-x4 sr-x4-real"
case "$PART" in
denoise)
    [ -d .traindata/train/color ] || cp -r "$SRC/train/color" .traindata/train/
    [ -d .traindata/real/polyu_canon ] || cp -r "$SRC/real/polyu_canon" .traindata/real/
    WEIGHTS="$WEIGHTS mar-image mar-sinogram"  # denoise-color stays: it is the teacher
    CARRY='[".traindata/train/color", ".traindata/real", ".whl"'
    # An earlier run of the 32-256 x 1 job (copied there by hand) is continued.
    [ ! -f .traindata/slim32b1.safetensors ] || CARRY="$CARRY"', ".traindata/slim32b1.safetensors"'
    CARRY="$CARRY]"
    VARS="FINETUNE=0 MAR=0 MINUTES=8.2"
    ;;
mar)
    [ -f .traindata/ct_slices.npz ] || python3 -m restorer.training.mar_data --data "$SRC" \
        --export-slices .traindata/ct_slices.npz
    WEIGHTS="$WEIGHTS denoise-color"
    CARRY='[".traindata/ct_slices.npz", ".whl"]'
    VARS="FINETUNE=0 SLIM=0 SLIM32=0"
    ;;
*)
    echo "the part is denoise or mar" >&2
    exit 2
    ;;
esac
for id in $WEIGHTS; do
    git rm -q --cached --ignore-unmatch "resources/models/$id.safetensors"
done
# The int8 versions serve the CPU runtime only (build_scripts/quantize_int8.py).
git rm -q --cached --ignore-unmatch 'resources/models/*.int8.*'

TRACKED=$(git ls-files -z | xargs -0 cat | wc -c)
CARRIED=$(echo "$CARRY" | tr -d '[]",' | xargs du -cb | tail -n 1 | cut -f 1)
echo "travels: $((TRACKED / 1048576)) MiB tracked + $((CARRIED / 1048576)) MiB carried (limit 64)"
echo "carry: $CARRY"
echo "command: python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site" \
    ".whl/*.whl && export PYTHONPATH=/tmp/site; rm -rf runs; $VARS sh build_scripts/train_gpu.sh"
echo "timeout_s: 600.  Afterwards: git reset (puts the files back in the index)."
