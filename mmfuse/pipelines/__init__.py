"""Ready-made recipes, installed as :mod:`mmfuse.pipelines`.

Each recipe module has ``build(**params) -> sklearn.pipeline.Pipeline`` and
``PARAM_GRID`` (a ``GridSearchCV`` grid over the pipeline's nested params), and
reads the manifest columns it names in ``COLUMNS``:

``av_digits``      image + audio, the embedded AV-digits demo data
``fashion``        image + text, product photos and titles
``sms_spam``       text only
``spoken_digits``  audio only, speaker-independent spoken digits (FSDD layout)
``trimodal``       image + text + audio on :func:`mmfuse.datasets.make_multimodal`

Every recipe's default ``build()`` has ``predict_proba`` (calibrated) and seeds
every stochastic step from its ``random_state`` parameter (default 0).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from pathlib import Path

__all__ = ["RECIPES", "build_recipe", "load_recipe"]

RECIPES = ("av_digits", "fashion", "sms_spam", "spoken_digits", "trimodal")


def load_recipe(name_or_path):
    """Import a recipe by name (``'av_digits'``) or from a ``.py`` file path."""
    text = str(name_or_path)
    if text.endswith(".py"):
        path = Path(text)
        if not path.is_file():
            raise FileNotFoundError(f"recipe file not found: {path}")
        spec = importlib.util.spec_from_file_location(f"mmfuse_recipe_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    elif text in RECIPES:
        module = importlib.import_module(f"{__name__}.{text}")
    else:
        raise ValueError(f"unknown recipe {text!r}; choose one of {RECIPES} or give a path "
                         "to a .py file defining build() and PARAM_GRID")
    missing = [a for a in ("build", "PARAM_GRID") if not hasattr(module, a)]
    if missing:
        raise ValueError(f"recipe {text!r} lacks {missing}")
    return module


def build_recipe(recipe, params=None):
    """``recipe.build(**kw)`` with the params it accepts; the rest go to ``set_params``.

    ``random_state`` (``mmfuse train --seed``) must be a ``build()`` parameter.
    """
    params = dict(params or {})
    accepted = inspect.signature(recipe.build).parameters
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
    if "random_state" in params and "random_state" not in accepted and not takes_kwargs:
        raise ValueError(f"recipe {getattr(recipe, '__name__', recipe)!r}: build() has no "
                         "random_state parameter, so a seed cannot be passed to it")
    build_kw = {k: params.pop(k) for k in list(params) if k in accepted}
    model = recipe.build(**build_kw)
    if params:
        model.set_params(**params)
    return model
