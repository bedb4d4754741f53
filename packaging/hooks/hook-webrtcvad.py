"""Replaces pyinstaller-hooks-contrib's hook, which copies the metadata of a `webrtcvad`
distribution: Earpiece installs the same module from `webrtcvad-wheels` (a binary wheel)."""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("webrtcvad-wheels")
