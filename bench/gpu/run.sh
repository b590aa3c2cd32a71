#!/usr/bin/env bash
# The GPU check, ONE command from the repository root of a GPU machine (NVIDIA, Linux x86-64; no Node, no
# registry, no network needed there):   bash bench/gpu/run.sh [--quick]
# Needs bench/gpu/.travel/ made beforehand by `bash bench/gpu/prepare.sh` on a machine with the repo installed
# (git-ignored: carry it along). It unpacks Node, Dawn and Debian's Vulkan/GL loaders, brings up NVIDIA's
# Vulkan driver (printing what it finds), runs PyTorch's side (torch_stack.py), then check.mjs: webgpu vs cpu
# parity, kernel timings, training throughput beside PyTorch's, and the @cv model packages that were built.
# Output: stdout, and $OUT (or bench/results/) gpu-check.log + gpu-check.json + torch.json.
set -u
cd "$(dirname "$0")/../.."
T=bench/gpu/.travel
R=${OUT:-bench/results}
W=/tmp/cv-gpu
mkdir -p "$R" "$W"
exec > >(tee "$R/gpu-check.log") 2>&1
QUICK=""; [ "${1:-}" = "--quick" ] && QUICK="--quick"
[ -f "$T/check.mjs" ] && [ -f "$T/node.xz" ] || { echo "missing $T: run 'bash bench/gpu/prepare.sh' first"; exit 1; }
START=$(date +%s)
el() { echo "[$(( $(date +%s) - START )) s] $*"; }

el "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
uname -r; grep -m1 PRETTY_NAME /etc/os-release

el "== Node and Dawn"
xz -dc "$T/node.xz" > "$W/node" && chmod +x "$W/node" && "$W/node" --version
xz -dc "$T/dawn.node.xz" > "$W/dawn.node"
rm -rf "$W/node_modules"; cp -r "$T/node_modules" "$W/"; cp "$T/check.mjs" "$W/check.mjs"

el "== Vulkan: loaders, NVIDIA's ICD and its libraries"
for f in "$T"/debs/*.deb; do dpkg -x "$f" /; done
NV=/usr/local/nvidia
ls "$NV" 2>&1 | tr '\n' ' '; echo
icd=""
for c in "$NV/share/vulkan/icd.d/nvidia_icd.json" /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$c" ] && { icd=$c; break; }
done
[ -z "$icd" ] && icd=$(find "$NV" /usr/share/vulkan /etc/vulkan -name 'nvidia_icd*.json' 2>/dev/null | head -1)
echo "ICD json: ${icd:-none found}"; [ -n "$icd" ] && cat "$icd"
libname=$([ -n "$icd" ] && python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ICD']['library_path'])" "$icd" 2>/dev/null || echo libGLX_nvidia.so.0)
# Every directory holding NVIDIA user-space libraries goes on the loader path (a bare library_path is dlopen'ed).
dirs=$(find "$NV" /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib -maxdepth 2 \( -name 'libGLX_nvidia.so*' -o -name 'libnvidia-glvkspirv.so*' -o -name 'libnvidia-glcore.so*' -o -name 'libnvidia-gpucomp.so*' -o -name 'libEGL_nvidia.so*' \) -printf '%h\n' 2>/dev/null | sort -u)
echo "NVIDIA GL/Vulkan libraries in: ${dirs:-nowhere}"
for d in $dirs; do ls "$d" | grep -E 'GLX_nvidia|glvkspirv|glcore|gpucomp|EGL_nvidia|nvidia-tls|glsi' | tr '\n' ' '; echo; done
printf '%s\n' $dirs > /etc/ld.so.conf.d/zz-cv-nvidia.conf 2>/dev/null
ldconfig
ldconfig -p | grep -E 'libvulkan.so.1|libGLX_nvidia|glvkspirv' | sed 's/^/  /'
libpath=$(ldconfig -p | awk -v n="$(basename "$libname")" '$1==n {print $NF; exit}')
[ -z "$libpath" ] && [ -e "$libname" ] && libpath=$libname
echo "ICD library: $libname -> ${libpath:-NOT FOUND}"
[ -n "$libpath" ] && { ldd "$libpath" | grep -i 'not found' && echo "  ^ missing dependencies of the ICD"; }
# A copy of the ICD json with an absolute library path (so the loader needs no search path).
if [ -n "$icd" ] && [ -n "$libpath" ]; then
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); j['ICD']['library_path']=sys.argv[2]; json.dump(j,open(sys.argv[3],'w'))" "$icd" "$libpath" "$W/nvidia_icd.json"
  export VK_DRIVER_FILES="$W/nvidia_icd.json"
elif [ -n "$icd" ]; then
  export VK_DRIVER_FILES="$icd"
fi
[ -f "$NV/share/glvnd/egl_vendor.d/10_nvidia.json" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$NV/share/glvnd/egl_vendor.d/10_nvidia.json"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"

el "== PyTorch on the same GPU (torch_stack.py)"
PYTHONUNBUFFERED=1 timeout 90 python3 bench/gpu/torch_stack.py "$W/torch.json" $QUICK
cp "$W/torch.json" "$R/torch.json" 2>/dev/null

el "== PyTorch, the seed's models on the same GPU (bench/*_torch.py --device cuda)"
TR=$([ -n "$QUICK" ] && echo 3 || echo 10)
PYTHONUNBUFFERED=1 timeout 60 python3 bench/ssd_torch.py --device cuda --reference "$T/reference" --batch 32 --steps "$TR" --warmup 3 > "$W/torch-ssd.json"; tail -c 400 "$W/torch-ssd.json"
PYTHONUNBUFFERED=1 timeout 60 python3 bench/fcn_torch.py --device cuda --batch 8 --reps "$TR" --warmup 3 > "$W/torch-fcn.json"; tail -c 400 "$W/torch-fcn.json"
PYTHONUNBUFFERED=1 timeout 60 python3 bench/style_transfer_torch.py --device cuda --content examples/style-transfer/data/chelsea.png --style examples/style-transfer/data/hubble_deep_field.jpg --reps "$TR" --warmup 3 > "$W/torch-style-transfer.json"; tail -c 400 "$W/torch-style-transfer.json"
cp "$W"/torch-*.json "$R/" 2>/dev/null

el "== WebGPU adapter (Dawn, Vulkan)"
if ! VK_LOADER_DEBUG=error,warn timeout 60 "$W/node" "$W/check.mjs" --probe; then
  el "no adapter: the Vulkan loader's view (VK_LOADER_DEBUG=all, filtered)"
  VK_LOADER_DEBUG=all timeout 60 "$W/node" "$W/check.mjs" --probe 2>&1 | grep -i -E 'nvidia|icd|driver|error|fail|warn' | head -40
  DAWN=""
  if [ -n "$icd" ] && [ "${VK_DRIVER_FILES:-}" != "$icd" ]; then
    el "retry with the ICD json as shipped: $icd"
    export VK_DRIVER_FILES="$icd"
    timeout 60 "$W/node" "$W/check.mjs" --probe && DAWN=vulkan
  fi
  if [ -z "$DAWN" ]; then
    # Last resort: Dawn's OpenGL ES backend on NVIDIA's EGL (WebGPU compatibility mode); timings then say so.
    for p in device surfaceless; do
      el "retry: Dawn OpenGL ES backend, EGL_PLATFORM=$p"
      if EGL_PLATFORM=$p timeout 60 "$W/node" "$W/check.mjs" --probe --compat --dawn=backend=opengles; then
        export EGL_PLATFORM=$p; DAWN="--compat --dawn=backend=opengles"; break
      fi
    done
  fi
  [ -z "$DAWN" ] && { el "no WebGPU adapter: stopping (PyTorch results above)"; exit 2; }
  [ "$DAWN" = vulkan ] && DAWN=""
fi

el "== check: parity, kernels, training, models"
# The whole run stays inside CV_GPU_BUDGET seconds (default 230): the check gets what is left.
left=$(( ${CV_GPU_BUDGET:-230} - ($(date +%s) - START) ))
[ "$left" -lt 30 ] && left=30
el "check gets ${left} s"
# allow_unsafe_apis: timestamp queries, for the per-kernel GPU times of the profile section.
timeout "$left" "$W/node" "$W/check.mjs" $QUICK ${DAWN:---dawn=enable-dawn-features=allow_unsafe_apis} --torch="$W/torch.json" --torch-models="$W" --out="$R/gpu-check.json"
rc=$?
el "done (check exit $rc)"
exit $rc
