"""``python -m rocks.nets``: see :mod:`rocks.nets.cli`."""

from rocks.nets.cli import main

raise SystemExit(main())
