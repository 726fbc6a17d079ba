#!/usr/bin/env bash
# macOS: Restorer.app and a .dmg, signed and notarised when the credentials are set:
#   CODESIGN_IDENTITY  "Developer ID Application: ..."   (skip signing when unset)
#   NOTARY_PROFILE     a notarytool keychain profile       (skip notarisation when unset)
# Builds are per architecture: run on an arm64 runner for Apple silicon and on an x86_64
# runner for Intel (torch wheels are not universal2).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION="${1:-0.1.0}"
ARCH="$(uname -m)"
# TORCH_INDEX picks the CPU wheels where the default index would give a CUDA build
# (Linux release runners set https://download.pytorch.org/whl/cpu).
python3 -m pip install torch==2.13.0 torchvision==0.28.0 ${TORCH_INDEX:+--index-url "$TORCH_INDEX"}
python3 -m pip install ".[build]"
python3 build_scripts/translations.py build  # the interface languages (.ts -> .qm)
pyinstaller build_scripts/restorer.spec --noconfirm --distpath dist --workpath build
dist/restorer/restorer --selftest
APP="dist/Restorer.app"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
  codesign --verify --deep --strict "$APP"
else
  echo "CODESIGN_IDENTITY not set: the app is not signed"
fi
DMG="dist/Restorer-$VERSION-macos-$ARCH.dmg"
hdiutil create -volname "Restorer" -srcfolder "$APP" -ov -format UDZO "$DMG"
if [ -n "${CODESIGN_IDENTITY:-}" ] && [ -n "${NOTARY_PROFILE:-}" ]; then
  codesign --sign "$CODESIGN_IDENTITY" --timestamp "$DMG"
  xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$DMG"
else
  echo "NOTARY_PROFILE not set: the disk image is not notarised"
fi
