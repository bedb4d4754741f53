"""ctranslate2: `_ext` finds `libctranslate2` and `libgomp` through its RPATH
(`$ORIGIN/../ctranslate2.libs`); PyInstaller's binary analysis follows it and keeps that layout,
so nothing needs collecting by hand. The model converters (torch, transformers) are not needed to
run an already converted model.
"""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("ctranslate2")
excludedimports = ["ctranslate2.converters"]
