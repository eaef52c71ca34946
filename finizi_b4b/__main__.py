from finizi_b4b.cli import main

raise SystemExit(main())
