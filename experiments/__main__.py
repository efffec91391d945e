"""Entry point for ``python -m experiments``."""

from experiments.cli import main

raise SystemExit(main())
