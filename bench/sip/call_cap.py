"""How many simultaneous calls the installed pjsua2 wheel allows in one process, whatever is asked
(python -m bench.sip.call_cap [ASKED]; prints one JSON line). The probe itself is
`earpiece.sip.diagnostics.call_capacity`; nothing leaves 127.0.0.1; runs in ~1 s.
"""

from __future__ import annotations

import json
import sys

from earpiece.sip.diagnostics import call_capacity, stdout_to_stderr


def main() -> int:
    asked = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    with stdout_to_stderr():  # PJSIP prints its start-up lines on fd 1
        result = call_capacity(asked)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
