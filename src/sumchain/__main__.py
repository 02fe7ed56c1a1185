"""``python -m sumchain``: the same as the ``sumchain`` command."""

from sumchain.cli import main

main()
