"""Calibration: targets, the named statistics shared by calibration and facts, the fit and the stylized facts."""
