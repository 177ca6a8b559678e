"""``python -m bedplan`` is the ``bedplan`` command."""

from bedplan.cli import main

if __name__ == "__main__":
    main()
