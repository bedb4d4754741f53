"""pjsua2 imports its SWIG module lazily (`import_module(".pjsua2", __name__)` on first attribute
access), so static analysis does not see it. `pjsua2/__init__` loads the wheel's own `libcrypto`
from `pjsua2_python.libs/` beside the package; binary analysis collects that folder with the
extension's other dependencies (RPATH `$ORIGIN/../pjsua2_python.libs`).
"""

from PyInstaller.utils.hooks import copy_metadata

hiddenimports = ["pjsua2.pjsua2", "pjsua2._pjsua2"]
datas = copy_metadata("pjsua2-python")
