#!/bin/sh
# Installs the one-folder app for the current user (no root): the folder to ~/.local/opt/earpiece,
# a launcher to ~/.local/bin/earpiece, the desktop entry and the icon. Run it from the built folder
# (`dist/earpiece/install.sh`, put there by packaging/earpiece.spec). `install.sh --uninstall`
# removes them again; settings, knowledge bases and logs are left alone.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
opt=$HOME/.local/opt/earpiece
bin=$HOME/.local/bin
if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$opt"
  rm -f "$bin/earpiece" "$data/applications/earpiece.desktop" "$data/icons/hicolor/scalable/apps/earpiece.svg"
  echo "Earpiece removed (settings and data are kept in ~/.config/earpiece and ~/.local/share/earpiece)."
  exit 0
fi
[ -x "$here/earpiece" ] || { echo "run this from the built Earpiece folder (dist/earpiece)" >&2; exit 1; }
mkdir -p "$opt" "$bin" "$data/applications" "$data/icons/hicolor/scalable/apps"
if [ "$here" != "$opt" ]; then
  rm -rf "$opt"
  cp -a "$here" "$opt"
fi
ln -sf "$opt/earpiece" "$bin/earpiece"
cp "$here/earpiece.svg" "$data/icons/hicolor/scalable/apps/earpiece.svg"
sed "s|^Exec=.*|Exec=$opt/earpiece|; s|^TryExec=.*|TryExec=$opt/earpiece|" \
  "$here/earpiece.desktop" > "$data/applications/earpiece.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
echo "Earpiece installed: $opt (launcher $bin/earpiece; menu entry 'Earpiece')."
"$opt/earpiece" doctor || echo "See the [ERR] lines above: the app is installed but not ready." >&2
