"""The dashboard: a Solara page over the Mesa model, laid out like Mesa's SolaraViz (needs the ``app`` extra)."""
