"""Console scripts: each takes the .ini as its first argument, like pserve."""
