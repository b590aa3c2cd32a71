#!/usr/bin/env bash
# Builds bench/gpu/.travel/ (git-ignored) on a machine with the repo installed, for bench/gpu/run.sh on a GPU
# machine that has no Node, no registry and no network:
#   node.xz              this machine's Node binary, xz-compressed
#   check.mjs            bench/gpu/check.mjs bundled with @cv/core (source), tfjs-core, the cpu/webgpu backends
#                        and the @cv model packages that are built (bench/gpu/build.mjs)
#   dawn.node.xz         the `webgpu` package's Dawn addon (linux-x64), xz-compressed
#   node_modules/webgpu  a two-line stand-in for the `webgpu` package that loads ../../dawn.node
#   debs/                Debian's Vulkan loader and GL/EGL loaders (apt-get download), unpacked there
#   reference/           d2l_reference.py (the seed's PyTorch code) for bench/ssd_torch.py there
# Usage (repo root): bash bench/gpu/prepare.sh      (rebuild only the bundle: bash bench/gpu/prepare.sh --bundle)
set -euo pipefail
cd "$(dirname "$0")/../.."
T=bench/gpu/.travel
mkdir -p "$T/debs" "$T/node_modules/webgpu"
node bench/gpu/build.mjs "$T/check.mjs"
# d2l's reference code (the seed's TinySSD and multibox_target) for PyTorch's side (bench/ssd_torch.py).
mkdir -p "$T/reference"
cp "${CV_D2L_REFERENCE:-../shared/reference}/d2l_reference.py" "$T/reference/"
[ "${1:-}" = "--bundle" ] && exit 0

dawn=$(ls node_modules/.pnpm/webgpu@*/node_modules/webgpu/dist/linux-x64.dawn.node 2>/dev/null | head -1 || true)
[ -z "$dawn" ] && dawn=$(ls node_modules/.pnpm/webgpu@*/node_modules/webgpu/dist/linux-x64/dawn.node | head -1)
if [ ! -f "$T/dawn.node.xz" ] || [ "$dawn" -nt "$T/dawn.node.xz" ]; then xz -T2 -6 -c "$dawn" > "$T/dawn.node.xz"; fi
if [ ! -f "$T/node.xz" ] || [ "$(command -v node)" -nt "$T/node.xz" ]; then xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > "$T/node.xz"; fi
cat > "$T/node_modules/webgpu/package.json" <<'JSON'
{ "name": "webgpu", "version": "0.0.0-dawn-addon", "type": "module", "main": "index.js" }
JSON
cat > "$T/node_modules/webgpu/index.js" <<'JS'
// Stand-in for the `webgpu` npm package on the GPU machine: the same exports, from the Dawn addon run.sh unpacks.
import { createRequire } from 'node:module';
const { create, globals } = createRequire(import.meta.url)('../../dawn.node');
export { create, globals };
JS

# Debian's loaders (amd64), downloaded once; they are unpacked with dpkg -x on the GPU machine.
if ! ls "$T"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/cv-gpu-apt-lists'
  mkdir -p /tmp/cv-gpu-apt-lists/partial
  # shellcheck disable=SC2086
  apt-get $o update -qq || true
  # shellcheck disable=SC2086
  (cd "$T/debs" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -sh "$T" "$T"/* | sed 's/^/  /'
total=$(du -sm "$T" | cut -f1)
[ "$total" -lt 58 ] || { echo "prepare.sh: $T is ${total} MiB; the tree that travels must stay under 64 MiB" >&2; exit 1; }
echo "ready: bash bench/gpu/run.sh (on the GPU machine, from the repository root)"
