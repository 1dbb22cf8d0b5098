"""The self-test: plays the StUF Testplatform's part against any StUF-FIN system (docs/selftest.md)."""
