"""Words for the common ground: what a table shares, and why two attendees sit together.

One TF-IDF model (scikit-learn, unigrams and bigrams) is fitted over every profile of the
conference. A table's topics are the terms with the largest summed TF-IDF over its members,
multiplied by how many members use the term, so words shared by two or more people come first.
An attendee's "why" names their closest tablemate and the words both profiles use.

Everything per table or per pair works on a few sparse rows, so a conference of 100,000 short
profiles costs one vectorizer fit plus linear work.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

__all__ = ["NO_PROFILE", "STOP_WORDS", "CommonGround", "join_words", "why"]

#: Attendee row indices, as a list or an integer array.
Rows = Sequence[int] | NDArray[np.integer]

NO_PROFILE = "No profile yet — add one on your page so we can introduce you."

# Frequent words of the other languages attendees write profiles in, and profile filler that
# names no topic ("I'm interested in ..., love working on ...").
_MULTILINGUAL = """
aber alle als am an auch auf aus bei bin bis das dass dem den der des die ein eine einem einen
einer es für hat ich im in ist mit nach nicht noch oder sich sie sind so über um und uns von vor
was wie wir zu zum zur
au aux avec ce ces dans de des du elle en est et il je la le les leur mais me mon ne nous on ou
par pas pour qu que qui sa se ses son sur ta te un une vous
al como con del el ella en es esta este los las lo mi muy para pero por que se sin su sus un una
y yo
che chi con da dei della di due gli ha il io la le lo ma mi nel non per più si sono su una
da das de dos em na no os para por se um uma
een het is van voor op met zijn niet ook maar bij aan ik je
""".split()  # noqa: SIM905 - a word block reads better than 150 quoted strings
_FILLER = """
interested interest interests interesting like likes love loves enjoy enjoying working work
works really also things thing stuff etc lot lots using use used especially currently mostly
mainly recently new want wanting learn learning looking talk talking chat chatting meet meeting
people im ive
""".split()  # noqa: SIM905
STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS) | frozenset(_MULTILINGUAL + _FILLER)

# Keeps "c++", "c#", "node.js" and "machine-learning" whole.
_TOKEN = re.compile(r"(?u)\b\w[\w+#]*(?:[.\-]\w[\w+#]*)*")
# Punctuation that ends a phrase: "testing, packaging" is two topics, not one bigram.
_PHRASE_BREAK = re.compile(r"[,;:!?()\[\]{}/|\n\r\t\"]+|\.(?=\s|$)")


def _terms(text: str) -> list[str]:
    """Unigrams and bigrams of a profile; a bigram never spans a stop word or punctuation.

    Example:
        >>> _terms("Pytest fixtures and packaging, wheels")
        ['pytest', 'fixtures', 'pytest fixtures', 'packaging', 'wheels']
    """
    out: list[str] = []
    for phrase in _PHRASE_BREAK.split(text.casefold()):
        previous: str | None = None
        for token in _TOKEN.findall(phrase):
            if token in STOP_WORDS or token.isdigit():
                previous = None
                continue
            out.append(token)
            if previous is not None:
                out.append(f"{previous} {token}")
            previous = token
    return out


def _given_terms(terms: list[str]) -> list[str]:
    return terms


def join_words(words: Sequence[str]) -> str:
    """Join words as prose.

    Example:
        >>> join_words(["testing", "packaging", "django"])
        'testing, packaging and django'
    """
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def why(
    *,
    has_profile: bool,
    mate: str | None,
    shared: Sequence[str] = (),
    only: Sequence[str] = (),
) -> str:
    """Return an attendee's one-line reason for their table.

    Args:
        has_profile: Whether the attendee wrote a profile.
        mate: Display name of their closest tablemate; None when they sit alone.
        shared: Topic words both profiles use, best first.
        only: The attendee's words nobody else at the table uses, best first.

    Returns:
        One sentence addressed to the attendee.

    Example:
        >>> why(has_profile=True, mate="Ada Lovelace", shared=["testing", "packaging"])
        'You and Ada Lovelace both talk about testing and packaging.'
        >>> why(has_profile=False, mate="Ada Lovelace")
        'No profile yet — add one on your page so we can introduce you.'
    """
    if not has_profile:
        return NO_PROFILE
    if mate is None:
        return "You have this table to yourself this time."
    if shared:
        return f"You and {mate} both talk about {join_words(list(shared))}."
    if only:
        return (
            f"You are the only one here who talks about {join_words(list(only))}; "
            f"{mate} is the closest to your interests."
        )
    return f"{mate} is the closest to your interests at this table."


def _pick(
    terms: NDArray[np.str_],
    indices: NDArray[np.int64],
    scores: NDArray[np.floating],
    top: int,
) -> list[str]:
    # A bigram and its own words say the same thing; keep whichever scores higher.
    chosen: list[str] = []
    if not len(indices):
        return chosen
    words: set[str] = set()
    # Only the best few can win even after dropping overlaps; rows of a table hold hundreds.
    shortlist = 4 * top
    if len(indices) > shortlist:
        best = np.argpartition(-scores, shortlist)[:shortlist]
        indices, scores = indices[best], scores[best]
    # Rows are short now: sorting Python lists beats numpy's per-call overhead.
    for _, column in sorted(zip((-scores).tolist(), indices.tolist(), strict=True)):
        term = str(terms[column])
        parts = set(term.split())
        if parts & words:
            continue
        chosen.append(term)
        words |= parts
        if len(chosen) == top:
            break
    return chosen


class CommonGround:
    """TF-IDF model of a conference's profiles that names shared topics.

    Args:
        min_df: Minimum number of profiles a term must appear in; None picks 1 below 1,000
            profiles and 2 above (a term in one profile can never be shared anyway).
        max_df: Terms in more than this share of profiles ("python" at a Python conference)
            name nothing in particular; only applied from 50 profiles up.
        max_features: Cap on the vocabulary.

    Attributes:
        matrix_: ``(n, V)`` CSR matrix of L2-normalised TF-IDF rows, one per profile.
        terms_: The vocabulary, aligned with the columns of ``matrix_``.

    Example:
        >>> ground = CommonGround().fit(
        ...     ["pytest fixtures and packaging wheels", "packaging with wheels and pytest", ""]
        ... )
        >>> sorted(ground.shared_topics([0], [1])[0])
        ['packaging', 'pytest', 'wheels']
        >>> ground.has_profile(2)
        False
    """

    def __init__(
        self, *, min_df: int | None = None, max_df: float = 0.5, max_features: int | None = 200_000
    ) -> None:
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features

    def fit(self, texts: Sequence[str]) -> CommonGround:
        """Fit the vocabulary and weights on every profile of the conference.

        Args:
            texts: One profile per attendee, in attendee order; empty strings are fine.

        Returns:
            self
        """
        n = len(texts)
        min_df = self.min_df if self.min_df is not None else (1 if n < 1000 else 2)
        if isinstance(min_df, bool) or not isinstance(min_df, int) or min_df < 1:
            raise ValueError(f"The 'min_df' parameter must be an int >= 1. Got {min_df!r} instead.")
        if not 0.0 < self.max_df <= 1.0:
            raise ValueError(
                f"The 'max_df' parameter must be in (0, 1]. Got {self.max_df!r} instead."
            )
        analyzed = [_terms(text or "") for text in texts]
        vocabulary = self._vocabulary(analyzed, min_df=min_df)
        if vocabulary:
            vectorizer = TfidfVectorizer(
                analyzer=_given_terms, vocabulary=vocabulary, sublinear_tf=True, dtype=np.float32
            )
            matrix = vectorizer.fit_transform(analyzed)
            terms = vectorizer.get_feature_names_out()
        else:
            # Only stop words or empty profiles: there is nothing to name.
            matrix = sp.csr_matrix((n, 0), dtype=np.float32)
            terms = np.asarray([], dtype=object)
        self.matrix_: sp.csr_matrix = sp.csr_matrix(matrix)
        self.terms_: NDArray[np.str_] = np.asarray(terms)
        self._unigram = sp.csr_matrix(
            np.asarray([" " not in str(t) for t in self.terms_], dtype=np.float32).reshape(1, -1)
        )
        self._profiles = np.asarray([bool(t and t.strip()) for t in texts], dtype=bool)
        return self

    def _vocabulary(self, analyzed: list[list[str]], *, min_df: int) -> dict[str, int]:
        # Counted here rather than by the vectorizer: profiles make many bigrams used once,
        # and sklearn sorts and prunes its full vocabulary, which costs more than the fit.
        n = len(analyzed)
        df = Counter(term for terms in analyzed for term in set(terms))
        most = self.max_df * n if n >= 50 else n
        kept = [(count, term) for term, count in df.items() if min_df <= count <= most]
        if self.max_features is not None and len(kept) > self.max_features:
            kept = sorted(kept, key=lambda ct: (-ct[0], ct[1]))[: self.max_features]
        return {term: i for i, term in enumerate(sorted(term for _, term in kept))}

    def has_profile(self, i: int) -> bool:
        """Return whether attendee ``i`` wrote a profile."""
        return bool(self._profiles[i])

    def table_topics(self, tables: Sequence[Sequence[int]], *, top: int = 3) -> list[list[str]]:
        """Return the words naming what each table has in common.

        Args:
            tables: For each table, the row indices of its members.
            top: Words per table.

        Returns:
            Up to ``top`` terms per table, best first; terms used by several members first.

        Example:
            >>> ground = CommonGround().fit(["django testing", "testing and django orm", "rust"])
            >>> ground.table_topics([[0, 1, 2]], top=2)
            [['django', 'testing']]
        """
        membership = self._membership(tables)
        summed = sp.csr_matrix(membership @ self.matrix_)
        score = sp.csr_matrix(summed.multiply(self._users(membership)))
        return [
            _pick(self.terms_, score.indices[lo:hi], score.data[lo:hi], top)
            for lo, hi in zip(score.indptr[:-1], score.indptr[1:], strict=True)
        ]

    def shared_topics(self, a: Rows, b: Rows, *, top: int = 3) -> list[list[str]]:
        """Return, for each pair ``(a[k], b[k])``, the words both profiles use.

        Words are ranked by their contribution to the two profiles' TF-IDF cosine.

        Example:
            >>> ground = CommonGround().fit(["rust and wasm", "wasm in the browser", "gardening"])
            >>> ground.shared_topics([0, 0], [1, 2])
            [['wasm'], []]
        """
        if len(a) != len(b):
            raise ValueError(f"Pairs need as many left as right rows. Got {len(a)} and {len(b)}.")
        left = self.matrix_[np.asarray(a, dtype=np.int64)]
        right = self.matrix_[np.asarray(b, dtype=np.int64)]
        both = sp.csr_matrix(left.multiply(right))
        return [
            _pick(self.terms_, both.indices[lo:hi], both.data[lo:hi], top)
            for lo, hi in zip(both.indptr[:-1], both.indptr[1:], strict=True)
        ]

    def only_topics(
        self,
        rows: Rows,
        tables: Sequence[Sequence[int]],
        seat_table: Rows,
        *,
        top: int = 2,
    ) -> list[list[str]]:
        """Return, for each ``rows[k]``, its strongest words nobody else at its table uses.

        Args:
            rows: Attendee rows.
            tables: For each table, the row indices of its members.
            seat_table: Index into ``tables`` of the table of ``rows[k]``.
            top: Words per attendee.

        Example:
            >>> ground = CommonGround().fit(["rust and gardening", "gardening tips", "chess"])
            >>> ground.only_topics([0, 2], [[0, 1], [2]], [0, 1])
            [['rust'], ['chess']]
        """
        users = self._users(self._membership(tables))
        alone = sp.csr_matrix(users[np.asarray(seat_table, dtype=np.int64)])
        alone.data = (alone.data == 1).astype(np.float32)
        mine = sp.csr_matrix(self.matrix_[np.asarray(rows, dtype=np.int64)])
        # Single words only: "gardening tips" is not only yours when a tablemate says
        # "gardening".
        only = sp.csr_matrix(mine.multiply(alone).multiply(self._unigram))
        only.eliminate_zeros()
        return [
            _pick(self.terms_, only.indices[lo:hi], only.data[lo:hi], top)
            for lo, hi in zip(only.indptr[:-1], only.indptr[1:], strict=True)
        ]

    def _users(self, membership: sp.csr_matrix) -> sp.csr_matrix:
        """Per table and term, how many members use the term."""
        present = self.matrix_.copy()
        present.data[:] = 1.0
        return sp.csr_matrix(membership @ present)

    def _membership(self, tables: Sequence[Sequence[int]]) -> sp.csr_matrix:
        rows = np.repeat(np.arange(len(tables)), [len(t) for t in tables])
        cols = np.fromiter((i for t in tables for i in t), dtype=np.int64, count=len(rows))
        return sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(len(tables), self.matrix_.shape[0]),
        )
