#!/usr/bin/env bash
# Linux: one-folder build, self-test, a tarball, and an AppImage when appimagetool is present.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION="${1:-0.1.0}"
# TORCH_INDEX picks the CPU wheels where the default index would give a CUDA build
# (Linux release runners set https://download.pytorch.org/whl/cpu).
python3 -m pip install torch==2.13.0 torchvision==0.28.0 ${TORCH_INDEX:+--index-url "$TORCH_INDEX"}
python3 -m pip install ".[build]"
python3 build_scripts/translations.py build  # the interface languages (.ts -> .qm)
pyinstaller build_scripts/restorer.spec --noconfirm --distpath dist --workpath build
QT_QPA_PLATFORM=offscreen dist/restorer/restorer --selftest
tar -C dist -czf "dist/restorer-$VERSION-linux-x86_64.tar.gz" restorer
if command -v appimagetool >/dev/null; then
  APPDIR=dist/Restorer.AppDir
  rm -rf "$APPDIR" && mkdir -p "$APPDIR/usr"
  cp -a dist/restorer "$APPDIR/usr/bin"
  cp build_scripts/linux/restorer.desktop "$APPDIR/"
  cp resources/icons/restorer.png "$APPDIR/restorer.png"
  printf '#!/bin/sh\nexec "$(dirname "$0")/usr/bin/restorer" "$@"\n' > "$APPDIR/AppRun"
  chmod +x "$APPDIR/AppRun"
  ARCH=x86_64 appimagetool "$APPDIR" "dist/Restorer-$VERSION-x86_64.AppImage"
else
  echo "appimagetool not found: AppImage skipped (the tarball is built)"
fi
