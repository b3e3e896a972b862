#!/usr/bin/env bash
# Playwright records video with its own ffmpeg build, which it cannot download here (docs/environment.md#video):
# put the static ffmpeg that the imageio-ffmpeg wheel carries where Playwright looks for it.
set -euo pipefail
venv=${1:?usage: link-playwright-ffmpeg.sh VENV}
read -r revision ffmpeg < <("$venv/bin/python" - <<'PY'
import json, pathlib, playwright, imageio_ffmpeg
browsers = pathlib.Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
revision = next(b["revision"] for b in json.loads(browsers.read_text())["browsers"] if b["name"] == "ffmpeg")
print(revision, imageio_ffmpeg.get_ffmpeg_exe())
PY
)
target="${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}/ffmpeg-$revision"
mkdir -p "$target"
ln -sf "$ffmpeg" "$target/ffmpeg-linux"
