"""piper-tts: the eSpeak NG phoneme data ships inside the package (`piper/espeak-ng-data/`) and is
found next to `piper/phonemize_espeak.py`; `espeakbridge` is its C extension.

The Hebrew (nakdimon, 21 MB) and Arabic (tashkeel, 5 MB) diacritisation models and the training
code are left out: Earpiece ships English voices only.
"""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

hiddenimports = ["piper.espeakbridge"]
datas = collect_data_files(
    "piper", excludes=["hebrew/*.onnx", "tashkeel/*.onnx", "train/**", "**/__pycache__/**"]
)
datas += copy_metadata("piper-tts")
excludedimports = ["piper.train", "piper.http_server", "piper.download_voices"]
