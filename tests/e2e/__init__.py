"""Browser tests: a package, so its conftest does not shadow tests/conftest.py (`from helpers import ...` finds tests/helpers.py)."""
