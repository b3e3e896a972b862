"""Portal profiles (TOML): the twin's is the default; a deployment's differs only where the guide allows."""
