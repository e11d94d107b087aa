"""Statistics of stored outcomes: intervals, survival, sweep summaries, sensitivity, PRIM and the thesis test."""
