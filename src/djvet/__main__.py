from djvet.cli import main

raise SystemExit(main())
