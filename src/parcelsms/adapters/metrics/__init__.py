"""Prometheus metrics: in-process instruments, their sampler, and the ``/metrics`` text."""
