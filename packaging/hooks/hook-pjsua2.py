"""pjsua2 imports its SWIG module lazily (`import_module(".pjsua2", __name__)` on first attribute),
and `pjsua2/__init__` looks for the bundled `libcrypto` in `pjsua2_python.libs/` beside the package.
"""

from PyInstaller.utils.hooks import collect_dynamic_libs, copy_metadata

hiddenimports = ["pjsua2.pjsua2", "pjsua2._pjsua2"]
binaries = collect_dynamic_libs("pjsua2")
datas = copy_metadata("pjsua2-python")
