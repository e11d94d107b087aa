"""The dashboard: a Mesa SolaraViz page over the model (needs the ``app`` extra)."""
