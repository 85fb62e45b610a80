#!/bin/sh
# Builds native/build/dlcheck_blas.node, the optional OpenBLAS matrix-product backend.
#
# The backend is optional: the service computes the same products in JavaScript without it. So
# this script never fails its caller (an install, a Docker stage): when something is missing it
# prints one line, "native backend not built: <reason>", and exits 0. The only non-zero exit is
# for a usage error.
#
# Needs: a C compiler (cc, or $CC), OpenBLAS's headers and library (Debian: libopenblas-dev),
# and the npm package node-api-headers (Node-API's C headers; no node-gyp header download).
#
# Environment: CC (default cc), CFLAGS (added after the defaults), OPENBLAS_CFLAGS and
# OPENBLAS_LIBS (override the pkg-config/default lookup, e.g. for a custom OpenBLAS).
set -u

if [ "$#" -ne 0 ]; then
  echo "usage: sh native/build.sh" >&2
  exit 2
fi

skip () {
  echo "native backend not built: $*"
  exit 0
}

here=$(cd "$(dirname "$0")" && pwd) || skip "cannot find the native/ directory"
root=$(dirname "$here")
out_dir="$here/build"
out="$out_dir/dlcheck_blas.node"
cc=${CC:-cc}

command -v "$cc" > /dev/null 2>&1 || skip "no C compiler ($cc)"
command -v node > /dev/null 2>&1 || skip "node is not on PATH"

# Resolved from the repository root, as the service resolves its dependencies.
napi_include=$(cd "$root" && node -p "require('node:path').join(require('node:path').dirname(require.resolve('node-api-headers/package.json')), 'include')" 2> /dev/null) ||
  skip "the npm package node-api-headers is not installed"
[ -f "$napi_include/node_api.h" ] || skip "node_api.h not found in $napi_include"

# OpenBLAS's flags: given, else pkg-config's "openblas" (Debian, Fedora, Alpine ship one), else
# the compiler's default paths plus Fedora's /usr/include/openblas.
if [ -n "${OPENBLAS_CFLAGS+x}${OPENBLAS_LIBS+x}" ]; then
  blas_cflags=${OPENBLAS_CFLAGS:-}
  blas_libs=${OPENBLAS_LIBS:--lopenblas}
elif command -v pkg-config > /dev/null 2>&1 && pkg-config --exists openblas 2> /dev/null; then
  blas_cflags=$(pkg-config --cflags openblas)
  blas_libs=$(pkg-config --libs openblas)
else
  blas_cflags=
  [ -f /usr/include/openblas/cblas.h ] && blas_cflags=-I/usr/include/openblas
  blas_libs=-lopenblas
fi

tmp=$(mktemp -d 2> /dev/null || mktemp -d -t dlcheck_blas) || skip "cannot create a temporary directory"
trap 'rm -rf "$tmp"' EXIT INT TERM

# cblas.h may be another BLAS's (Debian switches it with update-alternatives); the addon calls
# openblas_* functions, so only OpenBLAS's will do.
printf '#include <cblas.h>\n#ifndef OPENBLAS_VERSION\n#error not OpenBLAS\n#endif\n' > "$tmp/probe.c"
# shellcheck disable=SC2086 # flag lists are meant to split
"$cc" $blas_cflags -E "$tmp/probe.c" > /dev/null 2>&1 ||
  skip "OpenBLAS's cblas.h not found (Debian: apt-get install libopenblas-dev)"

mkdir -p "$out_dir" || skip "cannot create $out_dir"
# -fvisibility=hidden: only the Node-API entry points (marked default-visible by node_api.h)
# are exported. The napi_* references stay undefined and are bound to the node executable at
# load, hence no -Wl,--no-undefined.
# shellcheck disable=SC2086
if ! "$cc" -O2 -std=gnu11 -Wall -Wextra -fPIC -shared -pthread -fvisibility=hidden \
  -DNAPI_VERSION=8 -I"$napi_include" $blas_cflags ${CFLAGS:-} \
  "$here/dlcheck_blas.c" $blas_libs -o "$tmp/dlcheck_blas.node" 2> "$tmp/cc.log"; then
  skip "compiling failed: $(grep -m 1 -E 'error|cannot find|undefined' "$tmp/cc.log" || head -n 1 "$tmp/cc.log")"
fi

# Load it once in a separate process before installing it, so an addon that cannot load (a
# libopenblas.so.0 missing at run time, an ABI mismatch) is never left where the service looks.
# OpenBLAS picks its kernels by itself here (no OPENBLAS_CORETYPE), which is always safe.
if ! OPENBLAS_NUM_THREADS=1 node -e "
  const m = { exports: {} }
  process.dlopen(m, process.argv[1])
  const c = new Float64Array([1])
  m.exports.gemm(false, false, 1, 1, 1, new Float64Array([2]), 0, 1, new Float64Array([3]), 0, 1, c, 0, 1)
  if (c[0] !== 7) throw new Error('1 + 2·3 gave ' + c[0])
" "$tmp/dlcheck_blas.node" > "$tmp/load.log" 2>&1; then
  skip "the built addon does not load: $(grep -m 1 -E 'Error|error' "$tmp/load.log" || head -n 1 "$tmp/load.log")"
fi

# Renamed into place rather than written over: a process that has the old file mapped keeps its
# copy instead of crashing on a file changed under it.
mv -f "$tmp/dlcheck_blas.node" "$out" || skip "cannot write $out"
echo "native backend built: $out"
