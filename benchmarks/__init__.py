"""Measurement scripts (not tests): performance, reliability, determinism, round trips."""
