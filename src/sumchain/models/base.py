"""What every fixed-point model mirror shares: parameters, fitted checks and
the mapping to its contract (parameters, packed words, sample encoding)."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sumchain.errors import NotFittedError
from sumchain.models import reference_fields as fields
from sumchain.models.fixed_point import SCALE, truncated_div
from sumchain.models.samples import SampleCodec, check_label, class_number

if TYPE_CHECKING:
    from sumchain.metadata import ModelMetadata

__all__ = ["SCALE", "OnChainModel", "ParamsMixin", "truncated_div"]


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


class OnChainModel(ParamsMixin):
    """Base of the mirrors: a fixed-point model that has a contract twin.

    A subclass names its contract module (``contract_model``), says how its
    samples travel (``sparse``) and converts its state to and from the
    contract's parameters (a list of at most 8 integers, fixed at deployment)
    and packed parameter words (loaded in chunks, then updated by learning).
    The contract and the mirror agree bit for bit: same integers, same
    predictions, same reverts.
    """

    contract_model: ClassVar[str]
    """Module in ``sumchain/contracts/models`` (the trainer is built with it)."""
    model_type: ClassVar[str]
    """The contract's ``model_type()``, also the reference file's ``type``."""
    sparse: ClassVar[bool]
    """Samples are feature indices (True) or dense vectors (False)."""
    reference_types: ClassVar[tuple[str, ...]]
    """The ``type`` strings of the reference's model files that this class reads."""
    n_features: int
    classes_: np.ndarray
    """The class labels, ``0 .. n_classes - 1`` (set by fitting)."""
    _fitted_attribute: ClassVar[str] = "classes_"

    # -- contract mapping -------------------------------------------------------

    def model_params(self) -> list[int]:
        """The contract's constructor parameters."""
        raise NotImplementedError

    def to_words(self) -> list[int]:
        """The packed parameter words, as the contract stores them."""
        raise NotImplementedError

    @classmethod
    def from_chain(cls, params: Sequence[int], words: Sequence[int]) -> OnChainModel:
        """A fitted mirror from a contract's parameters and words."""
        raise NotImplementedError

    @classmethod
    def n_words(cls, params: Sequence[int]) -> int:
        """Number of parameter words of a contract with these parameters."""
        raise NotImplementedError

    @classmethod
    def codec_for(cls, params: Sequence[int]) -> SampleCodec:
        """The sample codec of a contract with these parameters (n_features first)."""
        return SampleCodec(sparse=cls.sparse, n_features=int(params[0]))

    @property
    def codec(self) -> SampleCodec:
        """Validates and packs this model's samples."""
        return SampleCodec(sparse=self.sparse, n_features=self.n_features)

    @property
    def n_classes(self) -> int:
        """Number of classes (labels are 0 .. n_classes - 1)."""
        self._check_fitted(self._fitted_attribute)
        return len(self.classes_)

    def check_label(self, label: object) -> int:
        """A label given to ``fit`` or ``partial_fit`` as a class number (see
        :func:`~sumchain.models.samples.class_number`), validated as the contract does."""
        return check_label(class_number(label), self.n_classes)

    # -- reference files (see ``reference_file``) --------------------------------

    @classmethod
    def from_reference_spec(cls, spec: dict[str, Any]) -> OnChainModel:
        """A fitted mirror from a parsed reference-format model file.

        Raises
        ------
        ModelFileError
            When a field is missing or malformed (the message names it).
        ValueError, OverflowError
            When the values do not suit the model or its contract.
        """
        raise NotImplementedError

    @classmethod
    def reference_class_names(cls, spec: dict[str, Any]) -> list[str]:
        """The class names of a reference file read by :meth:`from_reference_spec`: its
        ``classifications``, or none when it has none."""
        return fields.names(spec["classifications"], "classifications") if "classifications" in spec else []

    def to_reference_spec(self, metadata: ModelMetadata | None = None) -> dict[str, Any]:
        """This model as a reference-format JSON object, its classes named by ``metadata`` when it
        names them (and, for a dense perceptron, its ``featureIndices`` from ``metadata``)."""
        raise NotImplementedError

    def _file_class_names(self, metadata: ModelMetadata | None) -> list[str]:
        """Class names for a reference file: the metadata's, else :meth:`_default_class_names`."""
        if metadata is not None and metadata.class_names:
            return list(metadata.class_names)
        return self._default_class_names()

    def _default_class_names(self) -> list[str]:
        """Class names when no metadata gives any: the numbers."""
        return [str(k) for k in range(self.n_classes)]

    # -- scikit-learn API shared by all -------------------------------------------

    def partial_fit(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> OnChainModel:
        """Learn from each sample once, in order, exactly as the contract's ``add_data`` does."""
        raise NotImplementedError

    def _predict_one(self, sample: tuple[int, ...]) -> int:
        raise NotImplementedError

    def predict(self, X: Iterable[Iterable[int]]) -> np.ndarray:
        """Predicted class of each sample, exactly as the contract computes it."""
        self._check_fitted(self._fitted_attribute)
        check = self.codec.check
        return np.array([self._predict_one(check(x)) for x in X], dtype=np.int64)

    def score(self, X: Iterable[Iterable[int]], y: Iterable[int]) -> float:
        """Mean accuracy on the given samples."""
        labels = np.asarray(list(y))
        return float(np.mean(self.predict(X) == labels)) if len(labels) else 0.0
