"""moonshine-voice 0.1.0: the default recogniser. Its tiny English model (`assets/tiny-en/`) and the
C library that runs it (`libmoonshine.so`, which links the onnxruntime copy in `moonshine_voice.libs`)
ship inside the package; the demo recordings and the intent embeddings beside them are left out.
"""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, copy_metadata

datas = collect_data_files("moonshine_voice", includes=["assets/tiny-en/*"])
datas += copy_metadata("moonshine-voice")
binaries = collect_dynamic_libs("moonshine_voice")
