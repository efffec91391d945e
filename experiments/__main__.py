"""Entry point for ``python -m experiments``."""

try:
    from experiments.cli import main
except KeyboardInterrupt:  # Ctrl-C while the libraries load: nothing has started yet
    raise SystemExit(130) from None

raise SystemExit(main())
