"""hibari-tts 0.2.1: the default voice. Its model, lexicons and the bundled "heart" voice are data
files inside the package (`hibari/assets/`, ~16 MB); the command-line module is left out. Other
voices would be downloaded on first use, which Earpiece refuses (core/tts/hibari.py)."""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = collect_data_files("hibari", includes=["assets/*"])
datas += copy_metadata("hibari-tts")
excludedimports = ["hibari.cli"]
