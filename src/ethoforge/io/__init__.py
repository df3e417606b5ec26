"""Formats at the edge: one module per external format, read and write.

- `ethoforge.io.poses`: ``load_poses`` / ``load_pose_collection`` / ``save_poses`` for every pose
  format (DeepLabCut, SLEAP, LightningPose, Anipose, NWB via movement; CalMS21, MABe our own);
- `ethoforge.io.calms21`, `ethoforge.io.mabe`: those datasets' poses and labels;
- `ethoforge.io.video`: frame-exact reads by index (PyAV).

Nothing heavy is imported here, so ``import ethoforge.io`` stays cheap.
"""
