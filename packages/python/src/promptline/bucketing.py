"""Deterministic traffic bucketing, bit for bit the server's and the TypeScript SDK's: the
MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of ``"<prompt>:<unit>"`` modulo 10 000 picks the
variant from the cumulative weights, so a unit keeps its variant while a rollout grows."""

import random
import re
from functools import lru_cache
from typing import Any, Mapping, Optional, Sequence

#: Number of buckets; release weights are basis points out of this.
BUCKETS = 10_000

_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_MASK = 0xFFFFFFFF
_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Surrogates, as JavaScript strings hold them: a pair is one code point, a lone one is
        # U+FFFD (what TextEncoder does), so both SDKs hash the same bytes.
        paired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        return _SURROGATE.sub("\ufffd", paired).encode("utf-8")


def murmurhash3(text: str, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit of the UTF-8 bytes of ``text``, as an unsigned integer.

    >>> murmurhash3('hello')
    613153351
    """
    data = _utf8(text)
    length = len(data)
    h = seed & _MASK
    whole = length - (length & 3)
    for i in range(0, whole, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
        h = ((h << 13) | (h >> 19)) & _MASK
        h = (h * 5 + 0xE6546B64) & _MASK
    rest = length & 3
    if rest:
        k = 0
        if rest == 3:
            k ^= data[whole + 2] << 16
        if rest >= 2:
            k ^= data[whole + 1] << 8
        k ^= data[whole]
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
    h ^= length
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h


@lru_cache(maxsize=4096)
def bucket_of(prompt: str, unit: str) -> int:
    """The bucket (0…9 999) of a unit for a prompt. Recent answers are cached: the hash runs in
    pure Python (a few microseconds) and the same users come back during a rollout."""
    return murmurhash3(prompt + ":" + unit) % BUCKETS


def _weight(variant: Any) -> float:
    value = variant.get("weight", 0) if isinstance(variant, Mapping) else getattr(variant, "weight", 0)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def pick_variant(variants: Sequence[Any], bucket: int) -> int:
    """Index of the variant whose cumulative weight range ``[before, including)`` holds ``bucket``.

    Zero-weight variants are never picked; when the weights fall short of the bucket the last
    weighted variant answers (0 when none has a weight), as on the server.
    """
    total = 0.0
    last_weighted = 0
    for i, variant in enumerate(variants):
        weight = _weight(variant)
        if weight <= 0:
            continue
        total += weight
        last_weighted = i
        if bucket < total:
            return i
    return last_weighted


def choose_variant(prompt: str, variants: Sequence[Any], unit: Optional[str] = None) -> int:
    """The variant a unit gets (random per call without a unit); one variant needs no hash."""
    if len(variants) == 1:
        return 0
    if unit is None:
        bucket = min(BUCKETS - 1, int(random.random() * BUCKETS))
    else:
        bucket = bucket_of(prompt, unit)
    return pick_variant(variants, bucket)
