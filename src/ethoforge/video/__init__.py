"""Video as an input: frame encoders behind one registry, their feature cache, crops and
generated clips (`synthetic`). Decoding itself is `ethoforge.io.video`."""
