"""ctranslate2: `_ext` links `libctranslate2` and `libgomp` from the wheel's `ctranslate2.libs/`.

Binary analysis follows the RPATH, but collecting them explicitly makes a missing library a build
error rather than an `ImportError` on the user's machine. The model converters (torch, transformers)
are not needed to run a converted model.
"""

from PyInstaller.utils.hooks import collect_dynamic_libs, copy_metadata

binaries = collect_dynamic_libs("ctranslate2")
datas = copy_metadata("ctranslate2")
excludedimports = ["ctranslate2.converters", "torch", "transformers"]
