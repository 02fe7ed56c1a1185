# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Sparse Perceptron (fixed point)
@custom:contract-name sparse_perceptron
@license MIT
@notice A binary perceptron over sparse inputs: a sample is a sorted list of
        unique feature indices. It predicts 1 when the weights of the present
        features plus the intercept sum above 0, else 0. On a mistake each
        present weight moves by `learning_rate` towards the label; the
        intercept stays fixed, as in 0xDeCA10B.
@dev Weights are signed 64-bit integers at the scale of the model (1e9 for
     imported models), packed four per storage word in two's complement:
     weight i lives in word i // 4, bits 64 * (i % 4) .. 64 * (i % 4) + 63.
     Weights are loaded after deployment, in order, word by word
     (`_load_words`); the model accepts no data until all are loaded.
"""

# @dev Largest number of features.
MAX_FEATURES: constant(uint256) = 2**24
# @dev Largest number of indices in one sample. Every 32-byte element of this
#      bound costs memory in each frame that holds the sample, so it is kept
#      tight: no review of the 50,000 IMDB reviews has more than 259 distinct
#      words of the 1000-word vocabulary.
MAX_SAMPLE: constant(uint256) = 512
# @dev Largest number of packed weight words in one call.
MAX_WORDS_PER_CALL: constant(uint256) = 2_048

_MASK64: constant(uint256) = 2**64 - 1
_MAX_WEIGHT: constant(int256) = 2**63 - 1
_MIN_WEIGHT: constant(int256) = -(2**63)


# @dev Size of the feature space; indices lie in [0, n_features).
n_features: public(immutable(uint256))
# @dev Added to the sum of the present weights.
intercept: public(immutable(int256))
# @dev How far a weight moves on a mistake.
learning_rate: public(immutable(int256))

# @dev Packed weights, four per word (layout above).
_words: HashMap[uint256, uint256]
# @dev Number of weight words loaded so far.
words_loaded: public(uint256)


@deploy
def __init__(_n_features: uint256, _intercept: int256, _learning_rate: int256):
    """
    @dev Stores the shape and the fixed parameters; weights come later.
    @param _n_features Size of the feature space.
    @param _intercept The intercept, at the model's scale.
    @param _learning_rate The learning rate, at the model's scale.
    """
    assert _n_features > 0 and _n_features <= MAX_FEATURES, "sparse_perceptron: n_features out of range"
    assert _intercept >= _MIN_WEIGHT and _intercept <= _MAX_WEIGHT, "sparse_perceptron: intercept out of range"
    assert _learning_rate > 0 and _learning_rate <= _MAX_WEIGHT, "sparse_perceptron: learning rate out of range"
    n_features = _n_features
    intercept = _intercept
    learning_rate = _learning_rate


@internal
@view
def _total_words() -> uint256:
    """
    @dev Number of packed words that hold all weights.
    @return The word count.
    """
    return (n_features + 3) // 4


@internal
def _load_words(start: uint256, words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @dev Stores the next packed weight words; chunks must come in order.
    @param start Index of the first word in this chunk.
    @param words The packed words.
    """
    loaded: uint256 = self.words_loaded
    assert loaded < self._total_words(), "sparse_perceptron: weights already loaded"
    assert start == loaded, "sparse_perceptron: chunk out of order"
    assert len(words) > 0, "sparse_perceptron: empty chunk"
    assert loaded + len(words) <= self._total_words(), "sparse_perceptron: too many weights"
    for word: uint256 in words:
        if word != 0:
            self._words[loaded] = word
        loaded += 1
    self.words_loaded = loaded


@internal
@view
def _is_ready() -> bool:
    """
    @dev Whether every weight is loaded.
    @return True once the model may predict and learn.
    """
    return self.words_loaded == self._total_words()


@internal
@view
def _check_sample(data: DynArray[uint32, MAX_SAMPLE]):
    """
    @dev Reverts unless the weights are loaded and `data` is sorted, unique
         and within range.
    @param data Feature indices.
    """
    assert self._is_ready(), "sparse_perceptron: weights not loaded"
    previous: uint256 = 0
    for i: uint256 in range(len(data), bound=MAX_SAMPLE):
        index: uint256 = convert(data[i], uint256)
        assert i == 0 or index > previous, "sparse_perceptron: indices not sorted and unique"
        previous = index
    if len(data) > 0:
        assert previous < n_features, "sparse_perceptron: index out of range"


@internal
@pure
def _check_label(label: uint8):
    """
    @dev Reverts unless `label` is a class of the model.
    @param label The class.
    """
    assert label <= 1, "sparse_perceptron: label out of range"


@internal
@pure
def _unpack(word: uint256, index: uint256) -> int256:
    """
    @dev Reads weight `index` from its packed word.
    @param word The packed word holding the weight.
    @param index The feature index.
    @return The signed weight.
    """
    raw: uint256 = (word >> ((index & 3) << 6)) & _MASK64
    if raw > convert(_MAX_WEIGHT, uint256):
        return convert(raw, int256) - 2**64
    return convert(raw, int256)


@internal
@view
def _weight(index: uint256) -> int256:
    """
    @dev One weight.
    @param index The feature index.
    @return The signed weight.
    """
    return self._unpack(self._words[index >> 2], index)


@internal
@view
def _predict(data: DynArray[uint32, MAX_SAMPLE]) -> uint8:
    """
    @dev Classifies a checked sample.
    @param data Sorted, unique feature indices.
    @return 1 when the score is above 0, else 0.
    """
    score: int256 = intercept
    slot: uint256 = max_value(uint256)
    word: uint256 = 0
    for feature: uint32 in data:
        index: uint256 = convert(feature, uint256)
        if index >> 2 != slot:
            slot = index >> 2
            word = self._words[slot]
        score += self._unpack(word, index)
    if score > 0:
        return 1
    return 0


@internal
def _update(data: DynArray[uint32, MAX_SAMPLE], label: uint8):
    """
    @dev Learns from a checked sample: on a mistake, every present weight
         moves by the learning rate towards `label`.
    @param data Sorted, unique feature indices.
    @param label The class, 0 or 1.
    """
    if self._predict(data) == label:
        return
    step: int256 = learning_rate
    if label == 0:
        step = -learning_rate
    for feature: uint32 in data:
        index: uint256 = convert(feature, uint256)
        slot: uint256 = index >> 2
        word: uint256 = self._words[slot]
        weight: int256 = self._unpack(word, index) + step
        assert weight >= _MIN_WEIGHT and weight <= _MAX_WEIGHT, "sparse_perceptron: weight overflow"
        offset: uint256 = (index & 3) << 6
        raw: uint256 = convert(weight, uint256) if weight >= 0 else convert(weight + 2**64, uint256)
        self._words[slot] = (word & ~(_MASK64 << offset)) | (raw << offset)


@internal
@view
def _read_words(start: uint256, count: uint256) -> DynArray[uint256, MAX_WORDS_PER_CALL]:
    """
    @dev A range of packed weight words, for mirrors and audits.
    @param start Index of the first word.
    @param count Number of words, at most MAX_WORDS_PER_CALL.
    @return The packed words.
    """
    out: DynArray[uint256, MAX_WORDS_PER_CALL] = []
    for i: uint256 in range(start, start + count, bound=MAX_WORDS_PER_CALL):
        out.append(self._words[i])
    return out
