"""The portal twin's routes, one module per documented phase."""
