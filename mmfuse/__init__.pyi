from . import (
    audio,
    cli,
    datasets,
    distributed,
    exceptions,
    fusion,
    image,
    io,
    kernels,
    persistence,
    pipelines,
    report,
    scoring,
    svm,
    text,
)
from ._config import collect_errors, config_context, get_config, set_config
from .exceptions import MMFuseInputError, MMFuseInputWarning
from .persistence import load as load
from .persistence import save as save
from .svm import FastSVC as FastSVC
from .svm import to_fast_svc as to_fast_svc

__version__: str

__all__ = [
    "MMFuseInputError",
    "MMFuseInputWarning",
    "__version__",
    "audio",
    "cli",
    "collect_errors",
    "config_context",
    "datasets",
    "distributed",
    "exceptions",
    "fusion",
    "get_config",
    "image",
    "io",
    "kernels",
    "persistence",
    "pipelines",
    "report",
    "scoring",
    "set_config",
    "svm",
    "text",
]
