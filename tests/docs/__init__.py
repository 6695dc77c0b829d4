"""Tests of docs/: the citations the code relies on resolve inside the repository."""
