"""Similarity sketches: find which registered versions a given text is close to.

A version's sketch has three parts, all computed from the same shingles:

- a **MinHash signature** (``NUM_PERM`` 32-bit values) whose positionwise
  agreement with another signature estimates the Jaccard similarity of the two
  texts' shingle sets (``estimate_jaccard``); it is stored packed, the low
  ``PACKED_BITS`` bits of each value (``signature_to_bytes``);
- **band keys**: the signature cut into ``BANDS`` bands of ``ROWS`` values, each
  band hashed to a non-negative ``KEY_BITS``-bit key, stored as rows
  ``(version_id, band, key)``; two texts with Jaccard similarity ``s`` share at
  least one band key with probability ``1 - (1 - s**ROWS)**BANDS``;
- **anchors**: hashes of 18-character windows chosen by winnowing (the
  smallest of every ``ANCHOR_WINDOW`` consecutive windows), stored in the same table under band
  ``ANCHOR_BAND``; a passage cut from a long version keeps the version's
  anchors that lie inside it, so it is found by containment even when its
  Jaccard similarity with the whole version is tiny.

Shingles are taken on a *comparison form* of the text (see ``comparison_form``)
so that layout-only changes (reflowed English, Chinese re-segmented with spaces,
full-width vs half-width punctuation, letter case) give the same sketch.

Every hash here is fixed arithmetic on code points (a seeded polynomial hash
followed by the SplitMix64 finaliser, which is a bijection on 64-bit integers),
so a sketch is the same in every process, on every machine and in every release
that keeps these constants: sketches are stored, so changing ``K``, ``SEED``,
``NUM_PERM``, ``BANDS``/``ROWS``, ``ANCHOR_TILES`` or ``ANCHOR_WINDOW`` means re-sketching the
archive (``SKETCH_VERSION`` names the scheme).

The signature is computed by *one permutation hashing* with optimal
densification (Li, Owen & Zhang 2012; Shrivastava 2017): each shingle is hashed
once, the top bits of the hash pick one of ``NUM_PERM`` bins and the signature
keeps the smallest hash in each bin; empty bins (short texts) borrow from a
fixed pseudo-random sequence of other bins. Like classic MinHash, two
signatures agree in a position with probability equal to the Jaccard
similarity, but the cost is one hash per shingle instead of ``NUM_PERM``: the
per-bin minima are one ``np.minimum.at``. Measured on a 58 KB English version
(23 700 distinct shingles): 0.17 ms for the signature, against 22 ms for 128
affine permutations ``(a*x + b) mod 2**64`` in numpy and 22 ms for
``datasketch.MinHash.update_batch``; its estimates are as accurate as
datasketch's (tests compare them). A whole ``sketch()`` costs 2-3 ms per 100 KB
(~50 us/KB over the corpus, ~150x raw blake3), mostly normalisation and
shingle hashing.

Sketches depend on ``unicodedata`` (NFKC, casefold) of the running Python; a
Unicode upgrade can change the comparison form of rare characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from provenance import lenses

SKETCH_VERSION = 5
"""Name of the scheme below; bump it whenever a stored sketch would change.

3: the comparison form is the lens module's (``lenses.comparison_text``):
invisible characters hidden, hyphenated line breaks joined (issue 9).
4: band keys and anchors are the top ``KEY_BITS`` (31) bits of their hashes, not 63
(issue 11: SQLite stores them in 4 bytes instead of 8).
5: the stored signature is packed, ``PACKED_BITS`` (16) bits a value, not 32
(issue 11); band keys and anchors are those of scheme 4."""

KEY_BITS = 31
"""Bits of a stored band key or anchor: the top bits of its 64-bit hash, so that
SQLite stores each in 4 bytes (a signed 32-bit value) instead of 8. The index's
largest table is these keys (600 000 rows for the corpus's 1 000 versions,
18 bytes a row at 63 bits, 14 at 31). Collisions cost nothing measurable:
a query looks up 64 anchors, and a content is a candidate only with at least 3 of
them, so in an archive of 10 million stored anchors the expected false hits
per query, ``64 * 1e7 / 2**31``, are 0.3 rows, spread over contents; the
candidates are then confirmed on their exact shingle sets. Winnowing still
picks each anchor by its full 64-bit hash."""


K = 6
"""Characters per shingle (of the comparison form). Measured on the corpus
(latest version of each document, all pairs of different documents):

    k   unrelated English J: mean / p95   Chinese: mean / p95   1 KB passage vs 5 edits: J
    4   0.185 / 0.283                     0.034 / 0.054         0.91 (en) 0.87 (zh)
    5   0.106 / 0.183                     0.019 / 0.032         0.89      0.84
    6   0.065 / 0.124                     0.010 / 0.018         0.88      0.85
    8   0.030 / 0.065                     0.004 / 0.007         0.86      0.82

k=6 halves the English background of k=5 (fewer spurious LSH candidates and
anchors: 5 characters is about one English word) at no measurable cost for
edited copies; Chinese is far from the threshold either way."""

NUM_PERM = 128
"""Signature length. Standard error of ``estimate_jaccard`` is at most
``0.5/sqrt(NUM_PERM)`` = 0.044; stored packed, 128 x 2 bytes = 256 bytes per
version."""

PACKED_BITS = 16
"""Bits of each signature value that are stored and compared: the low ones.

A value is the smallest hash in its bin, so in a bin of ``m`` shingles it is
near ``2**32 / m``: its top ``log2(m)`` bits are mostly zero (8 of them in a
30 KB text), and the low bits are the ones that vary. Two different minima
agree in their low 16 bits with probability ``2**-16``, so an estimate from
packed values is ``J + (1 - J) / 65536`` in expectation, as in b-bit minwise
hashing (Li & König 2010): a bias of at most 0.000015, and one spurious
agreement among the 128 positions for at most one pair of texts in 512,
against a standard error of 0.044. Halves the signature column (425 KB of the
corpus's 4.6 MB database at 32 bits). Band keys are cut from the full 32-bit
values, which are computed from the text and never stored."""

BANDS = 32
ROWS = 4
"""LSH banding, ``BANDS * ROWS == NUM_PERM``. The S-curve
``P(s) = 1 - (1 - s**4)**32`` has its threshold (steepest point, about
``(1/32)**(1/4)``) at s = 0.42: P(0.3) = 0.23, P(0.4) = 0.56, P(0.5) = 0.87,
P(0.6) = 0.99, P(0.7) = 0.9998. Near-duplicates (s > 0.6) are virtually always
candidates, while unrelated texts of the same language (s ~ 0.07, p95 0.12 at
k=6) collide with probability ~0.001-0.007; 32 rows per version in the band
index. (42 bands x 3 rows, threshold 0.29, would catch s = 0.5 with 0.996 but
also s = 0.2 with 0.29, flooding candidates among English legal texts.) A
query mostly contained in a version is also found through anchors, which
covers most of the pairs around s = 0.5 that the bands miss."""

ANCHOR_BAND = -1
"""Reserved band number under which anchor keys are stored."""

ANCHOR_TILES = 3
"""An anchor covers ``ANCHOR_TILES * K`` = 18 characters (three back-to-back
shingles). Single 6-character shingles are common to a whole language: of a
corpus paragraph's sampled 6-character anchors, 24% on average also occur in
an unrelated document of the same language, so each anchor would match a
large part of the archive. With 18-character anchors that share drops to 1.1%
(p95 4%), and 84% of a paragraph's anchors survive three word edits in it
(12 characters: 3.3% shared, 88% survive; 24 characters: 0.8%, 81%)."""

ANCHOR_WINDOW = 64
"""Anchors are chosen by *winnowing* (Schleimer, Wilkerson & Aiken 2003): of
every ``ANCHOR_WINDOW`` consecutive 18-character windows, the one with the
smallest hash (the rightmost on a tie) is an anchor. Every stretch of
``ANCHOR_WINDOW + 17`` = 81 characters therefore holds at least one anchor of
its text, and the choice in a window depends on that window alone, so a
passage of at least that length keeps exactly its source's anchors inside it
(none of its anchors is new). The density is about ``2 / (ANCHOR_WINDOW + 1)``,
one window in 32.5: half the index rows of the 1-in-16 hash sample this
replaced (SKETCH_VERSION 1: ~45 anchors per KB of English, ~1 350 rows per
30 KB version), with a guarantee that sampling could not give (a 1-in-32
sample missed every anchor of a 100-character paragraph 2% of the time)."""

SEED = 0x5EED_2024_0001
"""Seed of every hash in this module."""

_U64 = np.uint64
_POLY = _U64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial shingle hash
_BIN_SHIFT = _U64(64 - (NUM_PERM.bit_length() - 1))  # top log2(NUM_PERM) bits pick the bin
_VALUE_SHIFT = _U64(int(_BIN_SHIFT) - 32)  # the next 32 bits are the bin's value
_DONOR_TRIES = 256
_KEY_SHIFT = _U64(64 - KEY_BITS)

def _fold_table() -> np.ndarray:
    """Code point -> folded code point, for every code point up to the last one ``SHINGLE_FOLD`` maps.

    Built from the lens module's table (normalization has one owner,
    `provenance.lenses`); applied as a numpy lookup because ``str.translate``
    costs ~5 ms per 100 KB.
    """
    table = np.arange(max(map(ord, lenses.SHINGLE_FOLD)) + 1, dtype=np.uint32)
    for src, dst in lenses.SHINGLE_FOLD.items():
        table[ord(src)] = ord(dst)
    return table


_FOLD = _fold_table()


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a fixed bijection of uint64 with good avalanche."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


_MIX_PIECE = 1 << 20  # elements mixed at a time: the scratch is 8 MB, not a copy of the text's hashes


def _splitmix64_in_place(x: np.ndarray) -> np.ndarray:
    """`_splitmix64` of a uint64 array, written over it, a piece at a time with one
    scratch array (element by element, so the pieces give the same values)."""
    scratch = np.empty(min(len(x), _MIX_PIECE), dtype=_U64)
    for i in range(0, len(x), _MIX_PIECE):
        part = x[i : i + _MIX_PIECE]
        tmp = scratch[: len(part)]
        np.right_shift(part, _U64(30), out=tmp)
        part ^= tmp
        part *= _U64(0xBF58476D1CE4E5B9)
        np.right_shift(part, _U64(27), out=tmp)
        part ^= tmp
        part *= _U64(0x94D049BB133111EB)
        np.right_shift(part, _U64(31), out=tmp)
        part ^= tmp
    return x


def _donor_table() -> np.ndarray:
    """For each bin, the fixed sequence of bins an empty bin borrows from."""
    i = np.arange(NUM_PERM, dtype=_U64)[:, None]
    t = np.arange(_DONOR_TRIES, dtype=_U64)[None, :]
    mixed = _splitmix64(_U64(SEED) ^ (i << _U64(32)) ^ (t + _U64(1)))
    return (mixed % _U64(NUM_PERM)).astype(np.intp)


_DONORS = _donor_table()
_BAND_SALT = _splitmix64(_U64(SEED) ^ np.arange(1, BANDS + 1, dtype=_U64))


def comparison_form(text: str) -> str:
    """The text as shingles see it: ``lenses.comparison_text`` with ``lenses.SHINGLE_FOLD`` applied.

    That is the ``loose`` lens (NFKC, so full-width forms are ASCII; case,
    quotes and dashes folded; invisible characters hidden; words hyphenated
    across a line break joined) with no whitespace at all, so reflowed
    paragraphs and Chinese text with spaces inserted between words are
    identical to the original, and the CJK punctuation NFKC keeps (。、「」 …)
    folded to ASCII.
    """
    return comparison_code_points(text).tobytes().decode("utf-32-le", "surrogatepass")


def comparison_code_points(text: str) -> np.ndarray:
    """``comparison_form`` as a uint32 array of code points."""
    return _folded_code_points(lenses.comparison_text(text))


def _folded_code_points(text: str) -> np.ndarray:
    """The code points of (a piece of) a comparison text, with ``SHINGLE_FOLD`` applied."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.uint32)
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    return lenses.lookup_code_points(cps, _FOLD)


def text_shingle_hashes(text: str, k: int = K) -> np.ndarray:
    """Mixed 64-bit hash of every k-character window of the text's comparison form
    (``comparison_form``), with repeats, in order.

    A form shorter than ``k`` characters is one shingle (itself), so even a
    one-character or empty text has a sketch. The form's code points are made
    ``_HASH_PIECE`` windows at a time, so beside the hashes (8 bytes a window, needed whole for the
    anchors and the shingle count) only the form is held, not its uint32
    copy too: that copy and the UTF-32 bytes it was read from were 80 + 80 MB
    for a 20 MB English text.
    """
    form = lenses.comparison_text(text)
    width = min(k, len(form))
    n = len(form) - width + 1
    h = np.empty(n, dtype=_U64)
    for i in range(0, n, _HASH_PIECE):
        part = h[i : i + _HASH_PIECE]
        _hash_windows(part, _folded_code_points(form[i : i + len(part) + width - 1]), width)
    return _splitmix64_in_place(h)


_HASH_PIECE = 1 << 20  # windows hashed at a time by `text_shingle_hashes`


def _hash_windows(out: np.ndarray, cps: np.ndarray, width: int) -> None:
    """The polynomial hash of each ``width``-character window of ``cps``, into ``out``
    (one per window, before mixing)."""
    n = len(out)
    out[:] = _U64(SEED) + _U64(width)
    for j in range(width):  # in place: a 20 MB text's arrays are tens of MB each
        out *= _POLY
        out += cps[j : j + n]


def shingle_hashes(text: str, k: int = K) -> np.ndarray:
    """Sorted unique 64-bit hashes of the text's k-character shingles (its shingle set)."""
    return np.unique(text_shingle_hashes(text, k))


def signature_of_hashes(hashes: np.ndarray) -> np.ndarray:
    """MinHash signature (``NUM_PERM`` uint32) of shingle hashes (any order, repeats allowed)."""
    mins = np.full(NUM_PERM, np.iinfo(np.uint64).max, dtype=_U64)
    filled = np.zeros(NUM_PERM, dtype=bool)
    for i in range(0, len(hashes), _MIX_PIECE):  # a piece at a time: minima of minima
        part = hashes[i : i + _MIX_PIECE]
        bins = (part >> _BIN_SHIFT).view(np.int64)  # under 2**(64 - _BIN_SHIFT): the same values
        np.minimum.at(mins, bins, part)
        filled[bins] = True
    sig = (mins >> _VALUE_SHIFT).astype(np.uint32)
    empty = np.flatnonzero(~filled)
    if len(empty):
        tries = _DONORS[empty]
        ok = filled[tries]
        donor = tries[np.arange(len(empty)), ok.argmax(axis=1)]
        # No donor in the fixed sequence (only when almost every bin is empty):
        # take the next filled bin going round.
        for row in np.flatnonzero(~ok.any(axis=1)):
            order = (empty[row] + np.arange(1, NUM_PERM + 1)) % NUM_PERM
            donor[row] = order[filled[order].argmax()]
        sig[empty] = sig[donor]
    return sig


def minhash(text: str) -> np.ndarray:
    """MinHash signature of a text: ``NUM_PERM`` uint32 values."""
    return signature_of_hashes(shingle_hashes(text))


def band_keys(signature: np.ndarray) -> list[tuple[int, int]]:
    """``(band, key)`` for each of the ``BANDS`` bands of a full signature (``minhash``,
    not its packed bytes); keys are in ``[0, 2**KEY_BITS)``."""
    rows = _as_signature(signature).astype(_U64).reshape(BANDS, ROWS)
    acc = _BAND_SALT.copy()
    for j in range(ROWS):
        acc = _splitmix64(acc ^ rows[:, j])
    keys = (acc >> _KEY_SHIFT).tolist()
    return list(enumerate(keys))


def anchors_of_hashes(raw_hashes: np.ndarray, k: int = K) -> np.ndarray:
    """The anchors (sorted unique uint64 < 2**KEY_BITS) of a text, from its raw shingle hashes.

    ``raw_hashes`` must be in text order with repeats (``text_shingle_hashes``):
    window i is the shingles starting at i, i + k, ... which tile
    ``ANCHOR_TILES * k`` characters. Winnowing keeps the smallest window hash
    of every ``ANCHOR_WINDOW`` consecutive windows (a text with fewer windows
    keeps its smallest one). A text shorter than ``ANCHOR_TILES * k`` has no
    anchors.
    """
    n = len(raw_hashes) - (ANCHOR_TILES - 1) * k
    if n <= 0:
        return np.zeros(0, dtype=_U64)
    w = min(ANCHOR_WINDOW, n)
    m = n - w + 1  # windows of ``w`` window hashes
    found = [
        _chunk_minima(raw_hashes, k, start, min(start + ANCHOR_CHUNK, m) - start + w - 1, w)
        for start in range(0, m, ANCHOR_CHUNK)
    ]
    runs = np.concatenate(found) if len(found) > 1 else found[0]
    runs >>= _KEY_SHIFT
    return np.unique(runs)


# Windows taken at once by `anchors_of_hashes`: each window depends on its own
# stretch of the text alone, so a big text is cut into chunks (overlapping by a
# window) and its working arrays stay a few tens of MB, whatever its size (a
# 20 MB text had three arrays of 53 MB at once).
ANCHOR_CHUNK = 1 << 20


def _chunk_minima(raw_hashes: np.ndarray, k: int, start: int, n: int, w: int) -> np.ndarray:
    """The window minima of the ``n`` window hashes from ``start``, one of each run of equal ones."""
    padded = np.empty(n + (-n % w), dtype=_U64)
    acc = padded[:n]
    acc[:] = raw_hashes[start : start + n]
    for j in range(1, ANCHOR_TILES):  # in place, inside the array the minima are taken in
        acc *= _POLY
        acc ^= raw_hashes[start + j * k : start + j * k + n]
        _splitmix64_in_place(acc)
    padded[n:] = np.iinfo(np.uint64).max
    minima = _window_minima(padded, n, w)
    del acc, padded
    # Neighbouring windows mostly share their minimum: one of each run is enough for the set.
    return minima[np.flatnonzero(np.concatenate(([True], minima[1:] != minima[:-1])))]


def _window_minima(padded: np.ndarray, n: int, w: int) -> np.ndarray:
    """The least of every ``w`` consecutive values of ``padded[:n]`` (van Herk / Gil-Werman).

    ``padded`` holds the values, then the largest value up to a whole number
    of blocks of ``w``; it is written over. Only the chosen hashes are kept,
    not where they stand, so which of equal minima is chosen does not matter.
    A window is the tail of one block and the head of the next, so its
    minimum is that of a running minimum from the block's end and one from
    the next block's start: three passes, whatever ``w``, where a minimum of
    each window read whole took ``w`` times the work (a quarter of a
    content's index rows' time on the corpus, ``benchmarks/register_cost.py``).
    The running minima from each block's end are taken over the reversed
    array, whose blocks are the same blocks reversed, so no copy reverses them back.
    """
    to_end = np.minimum.accumulate(padded[::-1].reshape(-1, w), axis=1).ravel()[::-1]
    blocks = padded.reshape(-1, w)
    np.minimum.accumulate(blocks, axis=1, out=blocks)  # from each block's start
    m = n - w + 1
    head = to_end[:m]
    return np.minimum(head, padded[w - 1 : w - 1 + m], out=head)


def anchor_keys(text: str) -> list[int]:
    """Keys to store under band ``ANCHOR_BAND``: the winnowed 18-character windows.

    The choice depends on each run of ``ANCHOR_WINDOW`` windows alone, so a
    passage of a text (of at least that many windows) keeps only anchors of
    the text; to find the source of
    a passage, look up its anchors and keep the versions that hold a good share
    of them (``GROUP BY version_id HAVING count(*) >= ...``).
    """
    return anchors_of_hashes(text_shingle_hashes(text)).tolist()


def estimate_jaccard(sig_a: bytes | np.ndarray, sig_b: bytes | np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets: the fraction of
    positions whose packed values are equal (signatures or their stored bytes)."""
    return float(np.count_nonzero(packed(sig_a) == packed(sig_b))) / NUM_PERM


_PACKED_DTYPE = "<u2"
_PACK_MASK = (1 << PACKED_BITS) - 1


def signature_to_bytes(signature: np.ndarray) -> bytes:
    """The stored form: the low ``PACKED_BITS`` of each value, ``NUM_PERM * 2`` bytes
    little-endian, for a BLOB / bytea column."""
    return packed(signature).astype(_PACKED_DTYPE).tobytes()


SIGNATURE_BYTES = NUM_PERM * PACKED_BITS // 8


def signature_from_bytes(data: bytes) -> np.ndarray:
    """The packed values (uint16) of stored signature bytes: the inverse of
    ``signature_to_bytes`` on its image, and what ``estimate_jaccard`` compares."""
    if len(data) != SIGNATURE_BYTES:
        raise ValueError(f"a signature is {SIGNATURE_BYTES} bytes, got {len(data)}")
    return np.frombuffer(data, dtype=_PACKED_DTYPE).astype(np.uint16)


def signatures_from_bytes(stored: list[bytes]) -> np.ndarray:
    """Many stored signatures as one (n, ``NUM_PERM``) uint16 array of packed values."""
    for data in stored:
        if len(data) != SIGNATURE_BYTES:
            raise ValueError(f"a signature is {SIGNATURE_BYTES} bytes, got {len(data)}")
    flat = np.frombuffer(b"".join(stored), dtype=_PACKED_DTYPE)
    return flat.astype(np.uint16).reshape(len(stored), NUM_PERM)


def packed(signature: bytes | np.ndarray) -> np.ndarray:
    """The packed values (uint16) of a full signature, of packed values, or of stored bytes."""
    if isinstance(signature, bytes | bytearray | memoryview):
        return signature_from_bytes(bytes(signature))
    sig = np.asarray(signature)
    if sig.shape != (NUM_PERM,):
        raise ValueError(f"a signature has {NUM_PERM} values, got shape {sig.shape}")
    return (sig.astype(np.uint32, copy=False) & _PACK_MASK).astype(np.uint16)


def _as_signature(signature: np.ndarray) -> np.ndarray:
    if isinstance(signature, bytes | bytearray | memoryview):
        raise TypeError("band keys come from a full signature, not its packed bytes")
    sig = np.asarray(signature)
    if sig.shape != (NUM_PERM,):
        raise ValueError(f"a signature has {NUM_PERM} values, got shape {sig.shape}")
    return sig.astype(np.uint32, copy=False)


@dataclass(frozen=True, slots=True)
class Sketch:
    """Everything stored per version to find it again.

    ``signature`` is the packed MinHash (``signature_to_bytes``); ``bands``
    the ``(band, key)`` rows for the LSH index; ``anchors`` the keys stored
    under band ``ANCHOR_BAND``.
    """

    signature: bytes
    bands: tuple[tuple[int, int], ...]
    anchors: tuple[int, ...]

    def index_rows(self) -> list[tuple[int, int]]:
        """All ``(band, key)`` rows for the index table: bands, then anchors."""
        return [*self.bands, *((ANCHOR_BAND, a) for a in self.anchors)]


def sketch(text: str) -> Sketch:
    """Sketch a text: one pass of shingling shared by signature, bands and anchors."""
    hashes = text_shingle_hashes(text)
    sig = signature_of_hashes(hashes)
    return Sketch(
        signature=signature_to_bytes(sig),
        bands=tuple(band_keys(sig)),
        anchors=tuple(anchors_of_hashes(hashes).tolist()),
    )
