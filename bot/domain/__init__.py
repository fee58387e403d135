"""The pure domain core: models and rules, no I/O and no framework imports."""
