"""Reports in storage: the rollups kept with every status change, their rebuild, their reads."""
