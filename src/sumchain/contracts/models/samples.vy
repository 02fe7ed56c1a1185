# pragma version ~=0.4.3
"""
@title Samples
@custom:contract-name samples
@license MIT
@notice How samples travel: packed big-endian in `Bytes`, 4 bytes per feature
        index (sparse models) or 8 bytes per signed value (dense models).
        No sample may be empty: a sparse sample needs at least one feature
        index and a dense sample at least one non-zero value. An empty sample
        carries no information: every model predicts it from its own
        parameters alone (intercept, prior or centroid norms). As a
        contribution it would either cost a full deposit that can never be
        refunded or, when those parameters happen to predict its label, give
        a validated contribution at no risk, which Sybil accounts could farm.
        Every model refuses it, in `predict` as in `add_data`.
@dev Packing keeps calldata, memory and event logs small: a sample of 512
     indices takes 2 KB of memory instead of the 16 KB of an ABI array, and
     every copy of a sample (argument, key hash, event) pays for its size.
     Hot loops read a sparse sample 8 indices at a time: one `extract32` per
     32 bytes (`CHUNK_INDICES` indices) of a copy padded with 32 zero bytes
     (so that the last read stays in bounds), then each index is the top
     `INDEX_BITS` bits of the chunk, shifted out before the next one.
"""

from .. import reverts

# @dev Largest number of features in one sample.
MAX_SAMPLE: constant(uint256) = 512
# @dev Bytes of one sparse feature index (unsigned).
INDEX_BYTES: constant(uint256) = 4
# @dev Bits of one sparse feature index.
INDEX_BITS: constant(uint256) = 8 * INDEX_BYTES
# @dev Sparse feature indices in one 32-byte chunk.
CHUNK_INDICES: constant(uint256) = 32 // INDEX_BYTES
# @dev Bytes of one dense value (signed, two's complement).
VALUE_BYTES: constant(uint256) = 8
# @dev Largest packed sparse sample.
SPARSE_BYTES: constant(uint256) = MAX_SAMPLE * INDEX_BYTES
# @dev Largest packed dense sample.
DENSE_BYTES: constant(uint256) = MAX_SAMPLE * VALUE_BYTES
# @dev Largest `n_classes * longest sample` of a model that predicts with
#      one value per class and feature (see `_check_prediction_size`).
MAX_CLASS_VALUES: constant(uint256) = 16_384


@internal
@pure
def _check_sparse(data: Bytes[SPARSE_BYTES], n_features: uint256) -> uint256:
    """
    @dev Reverts unless `data` holds at least one index and its indices are
         sorted, unique and below `n_features`. Reads the indices a chunk at
         a time (see the module's `@dev`); each index must reach `least`, one
         more than the previous index. After the loop `least - 1` is the
         last index, or wraps to `max_value(uint256)` for an empty sample:
         one comparison on the way out covers both the range and emptiness.
    @param data The packed sample.
    @param n_features Size of the feature space.
    @return The number of indices.
    """
    if len(data) % INDEX_BYTES != 0:
        reverts._fail("samples: sparse sample length is not a multiple of 4 bytes")
    count: uint256 = len(data) // INDEX_BYTES
    padded: Bytes[SPARSE_BYTES + 32] = concat(data, empty(bytes32))
    chunk: uint256 = 0
    least: uint256 = 0
    for i: uint256 in range(count, bound=MAX_SAMPLE):
        if i & (CHUNK_INDICES - 1) == 0:
            chunk = extract32(padded, unsafe_mul(i, INDEX_BYTES), output_type=uint256)
        index: uint256 = chunk >> (256 - INDEX_BITS)
        if index < least:
            reverts._fail("samples: indices not sorted and unique")
        least = unsafe_add(index, 1)
        chunk = chunk << INDEX_BITS
    if unsafe_sub(least, 1) >= n_features:
        if least == 0:
            reverts._fail("samples: empty sample")
        reverts._fail("samples: index out of range")
    return count


@internal
@pure
def _zero_hash(n_features: uint256) -> bytes32:
    """
    @dev The keccak256 of the zero vector of `n_features` values, for a dense
         model to keep as an immutable at deployment (see `_check_dense`).
         `abi_encode` of `DENSE_BYTES // 32` zero words gives enough zero bytes.
    @param n_features Dimension of the model.
    @return keccak256 of `n_features * VALUE_BYTES` zero bytes.
    """
    return keccak256(slice(abi_encode(empty(uint256[DENSE_BYTES // 32])), 0, n_features * VALUE_BYTES))


@internal
@pure
def _check_dense(data: Bytes[DENSE_BYTES], n_features: uint256, zero_hash: bytes32):
    """
    @dev Reverts unless `data` holds exactly `n_features` values, not all
         zero. A sample of the right length is the zero vector exactly when
         its keccak256 is `zero_hash` (barring a keccak256 collision): one
         hash (6 gas per 32 bytes) instead of a loop over the values.
    @param data The packed sample.
    @param n_features Dimension of the model.
    @param zero_hash `_zero_hash(n_features)`.
    """
    if len(data) != n_features * VALUE_BYTES:
        reverts._fail("samples: wrong dimension")
    if keccak256(data) == zero_hash:
        reverts._fail("samples: zero sample")


@internal
@pure
def _check_prediction_size(n_features: uint256, n_classes: uint256):
    """
    @dev Reverts unless a prediction reads at most `MAX_CLASS_VALUES` values
         of the model: one per class and feature of the longest sample,
         `n_classes * min(n_features, MAX_SAMPLE)` (a sparse sample holds at
         most `n_features` indices, a dense one exactly `n_features` values).
         Naive Bayes and nearest centroid predictions cost up to about 920
         gas per such value with 64-bit fields (a share of a cold storage read
         included), so that every refund and report, which predict, stays
         under EIP-7825's 16,777,216 gas per transaction: 32 classes with any
         sample, 64 classes with samples of up to 256 features.
    @param n_features Size of the feature space, or the dimension.
    @param n_classes Number of classes.
    """
    if n_classes * min(n_features, MAX_SAMPLE) > MAX_CLASS_VALUES:
        reverts._fail("samples: n_classes * sample length above 16384")
