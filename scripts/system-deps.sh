#!/usr/bin/env bash
# Check the system packages leaflet needs; install them with apt-get where we can.
#   Pango (+ PangoFT2): required to lay out text.
#   libharfbuzz-subset0: optional, but without it WeasyPrint warns and writes PDFs ~3x slower.
#   chromium: for the test suite only (the web version is checked in a real browser); the
#     browser tests fail, saying how to install it, when it is missing.
#   pandoc (with --bench): for make bench only, the baseline leaflet is compared with;
#   poppler-utils (with --bench): pdftotext, one of the benchmark's text extractors.
set -u
need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libpango-1.0.so.0' || need+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so.0' || need+=(libpangoft2-1.0-0)
have_lib 'libharfbuzz-subset.so.0' || need+=(libharfbuzz-subset0)
[ -x /usr/bin/chromium ] || need+=(chromium)
# make bench compares leaflet with a pandoc loop (the benchmark says so when it is missing).
# It also reads the sample PDFs' text back with poppler's pdftotext.
if [ "${1:-}" = "--bench" ]; then
  command -v pandoc >/dev/null 2>&1 || need+=(pandoc)
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fi
[ ${#need[@]} -eq 0 ] && exit 0

cmd="apt-get install -y ${need[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing system packages: ${need[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null || {
      echo "setup: could not install ${need[*]}; run: sudo $cmd" >&2
      case " ${need[*]} " in
        *pango*) exit 1 ;;
        *) echo "setup: continuing without them" >&2; exit 0 ;;
      esac; }
  fi
  exit 0
fi
echo "setup: missing system packages: ${need[*]}" >&2
echo "setup: on Debian or Ubuntu run:  sudo apt-get update && sudo $cmd" >&2
case " ${need[*]} " in
  *pango*) exit 1 ;;                       # cannot render without Pango
  *harfbuzz*) echo "setup: continuing; PDFs will be written more slowly" >&2; exit 0 ;;
  *) echo "setup: continuing; the browser tests will fail until chromium is installed" >&2
     exit 0 ;;
esac
