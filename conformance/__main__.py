"""Entry point of `python -m conformance` (see conformance.cli)."""

from conformance.cli import main
from conformance.signals import exit_now

exit_now(main())
