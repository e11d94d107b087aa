"""Batches, sweeps, the results store, statistics, charts, reports and the command line."""
