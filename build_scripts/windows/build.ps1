# Windows: one-folder build, self-test, then setup.exe with Inno Setup (iscc on PATH).
param([string]$Version = "0.1.0")
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
python -m pip install torch==2.13.0 torchvision==0.28.0 --index-url https://download.pytorch.org/whl/cpu
python -m pip install ".[build]"
python build_scripts\translations.py build  # the interface languages (.ts -> .qm)
pyinstaller build_scripts\restorer.spec --noconfirm --distpath dist --workpath build
& dist\restorer\restorer-cli.exe --selftest
if ($LASTEXITCODE -ne 0) { throw "self-test failed" }
iscc "/DAppVersion=$Version" build_scripts\windows\restorer.iss
