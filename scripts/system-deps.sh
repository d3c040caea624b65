#!/usr/bin/env bash
# Check the system libraries WeasyPrint needs; install them with apt-get where we can.
#   Pango (+ PangoFT2): required to lay out text.
#   libharfbuzz-subset0: optional, but without it WeasyPrint warns and writes PDFs ~3x slower.
set -u
need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libpango-1.0.so.0' || need+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so.0' || need+=(libpangoft2-1.0-0)
have_lib 'libharfbuzz-subset.so.0' || need+=(libharfbuzz-subset0)
[ ${#need[@]} -eq 0 ] && exit 0

cmd="apt-get install -y ${need[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing system libraries: ${need[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null || {
      echo "setup: could not install ${need[*]}; run: sudo $cmd" >&2; exit 1; }
  fi
  exit 0
fi
echo "setup: missing system libraries: ${need[*]}" >&2
echo "setup: on Debian or Ubuntu run:  sudo apt-get update && sudo $cmd" >&2
case " ${need[*]} " in
  *pango*) exit 1 ;;                       # cannot render without Pango
  *) echo "setup: continuing; PDFs will be written more slowly" >&2; exit 0 ;;
esac
