# pragma version ~=0.4.3
# pragma nonreentrancy on
"""
@title Packed Words
@custom:contract-name packed_words
@license MIT
@notice The parameter memory of a model: a fixed number of 256-bit storage
        words, loaded once by the owner in chunks (in order, resumable after an
        interruption) and then read and updated by the model.
@dev Each model documents how its parameters map onto these words. A chunk
     stores only its non-zero words: a zero word is already zero in storage,
     so sparse parameters cost nothing to load. The words are a static
     storage array, so word `i` sits `i` slots after the array's first slot
     and no access hashes its position. Models and the trainer's
     `parameter_words` index `_words` directly (an internal getter or setter
     would cost a call, about 150 gas, in every hot loop).
"""

from .. import reverts

# @dev Largest number of words in one loading call.
MAX_WORDS_PER_CALL: constant(uint256) = 2_048
# @dev Largest number of words of a model.
MAX_WORDS: constant(uint256) = 2**32


# @dev Number of words that hold every parameter.
total_words: public(immutable(uint256))

# @dev The words, by position.
_words: uint256[MAX_WORDS]
# @dev Number of words loaded so far (the next chunk starts here).
words_loaded: public(uint256)


@deploy
def __init__(_total_words: uint256):
    """
    @dev Fixes the size of the parameter memory.
    @param _total_words Number of words (every model needs far fewer than
           `MAX_WORDS`: 2**30 at most for a sparse perceptron).
    """
    total_words = _total_words


@internal
def _load(start: uint256, words: DynArray[uint256, MAX_WORDS_PER_CALL]):
    """
    @dev Stores the next chunk of words; chunks must come in order.
    @param start Position of the first word of this chunk.
    @param words The words.
    """
    loaded: uint256 = self.words_loaded
    if loaded >= total_words:
        reverts._fail("packed_words: parameters already loaded")
    if start != loaded:
        reverts._fail("packed_words: chunk out of order")
    if len(words) == 0:
        reverts._fail("packed_words: empty chunk")
    if loaded + len(words) > total_words:
        reverts._fail("packed_words: chunk beyond the last word")
    for word: uint256 in words:
        if word != 0:
            self._words[loaded] = word
        loaded = unsafe_add(loaded, 1)
    self.words_loaded = loaded


@internal
@view
def _is_ready() -> bool:
    """
    @dev Whether every word is loaded.
    @return True once the model may predict and learn.
    """
    return self.words_loaded == total_words
