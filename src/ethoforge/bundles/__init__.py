"""Model bundle files and feature normalisation: below both `ethoforge.training` and `ethoforge.inference`.

Modules: `files` (write a bundle folder atomically, read ``bundle.json`` back, softmax of
calibrated logits), `normalise` (the per-feature transform fitted on training recordings and
stored in the bundle).
"""
