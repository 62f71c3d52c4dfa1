"""Ready-made recipes: each module has ``build(**params) -> Pipeline`` and ``PARAM_GRID``."""
