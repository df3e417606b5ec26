"""Inference: whole-recording predictions from a model bundle, then bouts and ethograms.

Modules: `bundle` (write, load and run model bundles: `load_bundle`, `ModelBundle`),
`chunked` (overlapping-chunk inference over whole recordings), `postprocess` (smoothing,
minimum bout length, bout extraction), `ethogram` and `export`.
"""
