from earpiece.cli import main

raise SystemExit(main())
