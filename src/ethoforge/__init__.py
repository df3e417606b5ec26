"""EthoForge: from pose-tracking keypoints to behavior classifiers and ethograms."""

__version__ = "0.1.0"
