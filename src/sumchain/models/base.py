"""What every fixed-point model mirror shares: parameters and fitted checks."""

from __future__ import annotations

import inspect
from typing import Any

from sumchain.errors import NotFittedError

SCALE = 10**9
"""Fixed-point scale of real numbers (0xDeCA10B's ``toFloat``): x is sent as round(x * 1e9)."""


class ParamsMixin:
    """``get_params`` / ``set_params`` read from ``__init__``, as in scikit-learn."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> ParamsMixin:
        """Change constructor parameters; returns ``self``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r}; valid ones are {valid}")
            setattr(self, name, value)
        return self

    def _check_fitted(self, attribute: str) -> None:
        if not hasattr(self, attribute):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit or partial_fit first")
