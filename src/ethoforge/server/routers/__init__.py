"""One router per resource; `ROUTERS` is what `ethoforge.server.app.create_app` includes."""

from ethoforge.server.routers import (
           datasets,
           encoding,
           jobs,
           labels,
           models,
           poses,
           recordings,
           system,
)

ROUTERS = [system.router, recordings.router, labels.router, poses.router, datasets.router, jobs.router,
           models.router, encoding.router]
