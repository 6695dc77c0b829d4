"""Tests of reference/: the discovery semantics every conformance verdict is measured against."""
