#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Earpiece needs, when it can (root or sudo).
# Otherwise it prints the exact apt-get line and fails. Usage: system-deps.sh run|test
set -euo pipefail
what=${1:-run}
# run: audio I/O for the headset, the Qt xcb platform, speech tools for the demo caller,
# and the SIP peers the demo call uses.
pkgs=(libportaudio2 libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon-x11-0 libxcb-cursor0
      libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
      libxcb-render-util0 libxcb-image0 fonts-dejavu-core baresip-core espeak-ng sox)
if [ "$what" = test ]; then
  # test: a real registrar, scripted SIP peers and a virtual X display.
  pkgs+=(kamailio kamailio-tls-modules sip-tester xvfb xauth xdotool)
fi
if ! python3.11 -c 'import venv, ensurepip' >/dev/null 2>&1 && ! python3 -c 'import sys, venv, ensurepip; assert sys.version_info[:2] == (3, 11)' >/dev/null 2>&1; then
  pkgs+=(python3.11 python3.11-venv)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
else
  echo "Earpiece needs these system packages. Install them, then run the command again:" >&2
  echo "  sudo apt-get update && sudo $line" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo $line -qq
