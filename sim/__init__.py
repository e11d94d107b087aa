"""The escalation model: ladder, actors, model and scenario schema."""
