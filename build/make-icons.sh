#!/usr/bin/env bash
# Renders icon.svg into the icons electron-builder wants: icon.png (512 px,
# Linux and the AppImage) and icon.ico (16-256 px, Windows and the NSIS
# installer). Needs rsvg-convert (librsvg2-bin) and icotool (icoutils).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rsvg-convert -w 512 -h 512 icon.svg -o icon.png
sizes=(16 24 32 48 64 128 256)
pngs=()
for s in "${sizes[@]}"; do
	rsvg-convert -w "$s" -h "$s" icon.svg -o "$work/$s.png"
	pngs+=("$work/$s.png")
done
# 256 px is stored as PNG inside the ICO (as Windows Vista+ expects); the rest as bitmaps.
icotool -c -o icon.ico "${pngs[@]:0:6}" -r "$work/256.png"
echo "icon.png and icon.ico written"
