"""``python -m finizi_b4b``: the command line."""

from finizi_b4b.cli import main

raise SystemExit(main())
