"""Words for the common ground: what a table shares, and why two attendees sit together.

One TF-IDF model (scikit-learn, unigrams and bigrams) is fitted over every profile of the
conference. A table's topics are the terms with the largest summed TF-IDF over its members,
multiplied by how many members use the term, so words shared by two or more people come first.
An attendee's "why" names their closest tablemate and the words both profiles use.

What counts as a topic (a term is a word or a bigram of two neighbouring words):

* never a stop word of the profile languages (scikit-learn's English list, the stop-words
  package's for German, Dutch, French, Spanish, Portuguese and Italian), a role ("engineer"),
  profile filler ("interested", "currently") or talk-abstract vocabulary ("examples", "demo",
  "trade-offs"), nor a general word of another language ("Austausch");
* never a verb or an adverb: words the English lexicon (lemminflect) knows only as those
  ("agree", "explain", "finally"); a gerund only when it names an activity ("cooking",
  "bouldering"), not an everyday verb ("playing"); an adjective only as the first word of a
  bigram ("distributed systems");
* a word as common as "time" or "work" only inside a bigram;
* a word no dictionary knows (no part of speech, Zipf frequency below 3: "pydantic", "DuckDB",
  "currntly") only when at least two profiles of the conference use it and it is no slip of
  the keyboard: not one keystroke (first letter kept) from a clearly commoner English word,
  nor from a word of the conference five times as many profiles use;
* never a word of the writer's own name (``fit(..., names=)``), and nothing from a blank or
  placeholder profile (:func:`matching.placeholders.is_placeholder_profile`).

Everything per table or per pair works on a few sparse rows, so a conference of 100,000 short
profiles costs one vectorizer fit plus linear work.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence

import lemminflect
import numpy as np
import scipy.sparse as sp
import wordfreq
from numpy.typing import NDArray
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from stop_words import get_stop_words

from matching.placeholders import is_placeholder_profile
from matching.wording import (
    MATE_GONE,
    NO_PROFILE,
    TOKEN,
    WhyLine,
    join_words,
    parse_why,
    restate,
    topics_used,
    why,
)

__all__ = [
    "MATE_GONE",
    "NO_PROFILE",
    "STOP_WORDS",
    "CommonGround",
    "WhyLine",
    "join_words",
    "parse_why",
    "restate",
    "topics_used",
    "why",
]

#: Attendee row indices, as a list or an integer array.
Rows = Sequence[int] | NDArray[np.integer]


# Stop words of the languages attendees write profiles in: scikit-learn's English list (the
# stop-words package's English list is long enough to drop "research", "open" and "web") and the
# stop-words package's lists for the others.
_STOP_LANGUAGES = ("german", "dutch", "french", "spanish", "portuguese", "italian")
# Contractions split at the apostrophe ("I'm", "don't") and filler nobody means as a topic.
_EXTRA_STOP = "im ive m s t d ll re ve don didn doesn isn etc ok".split()  # noqa: SIM905
STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS).union(
    _EXTRA_STOP, *(get_stop_words(language) for language in _STOP_LANGUAGES)
)

# Words that say who someone is, not what they talk about: never part of a topic.
_ROLES = frozenset(
    """
    engineer engineers developer developers dev devs scientist scientists analyst analysts
    manager managers lead leads student students phd postdoc researcher researchers maintainer
    maintainers advocate architect consultant freelancer freelance founder cofounder co-founder
    cto ceo intern lecturer professor teacher trainer hobbyist programmer programmers sysadmin
    dba organiser organizer volunteer member person people team head director specialist expert
    enthusiast fan beginner junior senior staff principal contributor coder writer
    bioinformatician pentester entwickler entwicklerin développeur développeuse desarrollador
    desarrolladora sviluppatore ontwikkelaar desenvolvedor
    """.split()  # noqa: SIM905 - a word block reads better than quoted strings
)
# Profile filler that names no topic and ends any phrase: verbs, adverbs, adjectives, greetings.
_FILLER = frozenset(
    """
    interested interest interests interesting like likes love loves loving enjoy enjoying
    really also things thing stuff lot lots using use used uses especially currently mostly
    mainly recently lately new want wanting wants learn learned learnt looking look talk
    talking chat chatting meet meeting know knowing trying try tried convince convincing adopt
    adopting happy keen curious excited passionate big small good great best little anytime
    always often sometimes day days year years week weeks weekend weekends today tomorrow soon
    please hi hello hey thanks ask asking swap sharing share help helping send approach
    approaches doing make making build spend spending bring bringing migrating migrate dabble
    dabbling struggling care caring gave give giving write blog right way here company companies
    job jobs role field area areas space industry world background experience fun hobby happily
    anything else free mean hiring hire hired badly bite say shop dive dives got getting get
    going thinking think found find started start starting turned former recent focus focused
    focusing day-to-day daily plus side maintain maintaining rabbit hole production meets
    current
    """.split()  # noqa: SIM905 - a word block reads better than quoted strings
)
# Words of talk abstracts and bios that name no subject: how a talk is built ("examples",
# "lessons", "demo"), what it promises ("numbers", "trade-offs"), when, and general verbs that
# are nouns too ("run", "cover", "hit") or gerunds of general verbs ("coming", "replacing").
_GENERAL = frozenset(
    """
    example examples lesson lessons learned pattern patterns mistake mistakes tip tips trick
    tricks idea ideas question questions answer answers problem problems issue issues way ways
    story stories journey tour practice practices session sessions talk talks tutorial
    tutorials workshop workshops demo demos introduction intro overview guide number numbers
    team teams trade-offs tradeoffs trade-off pitfalls hands-on real-world step-by-step
    deep-dive material materials code-along exercise exercises war everyday every-day run runs
    cover covers touch hit hits limit limits end ends stop stops fit fits catch promise
    promises surprise leave leaves works help helps move moves turn turns show shows
    look looks thing part parts kind kinds lot bit end-to-end point points case cases use
    uses level levels step steps time times minute minutes hour hours month months monday
    exploring handling replacing dealing figuring wondering hoping joining attending
    visiting including following switching porting improving builds beats loves runs writes
    speaks struggle outside home-grown scale walk jump evaluating measuring comparing
    understanding choosing
    tuesday wednesday thursday friday saturday sunday
    january february march april may june
    july august september october november december morning evening night nights coming going
    getting replacing fighting taming rethinking scaling fixing demystifying beyond inside
    modern everything nothing something anything everyone someone people folks others hello
    world impact cost costs worth tears zero knowledge everyone question attention agreement
    opinion opinions thoughts feedback reason reasons result results approach details detail
    abstract website update updates version versions details topic topics subject subjects
    basic modern practical gentle honest hidden simple hard easy live whole various different
    better faster slow fast quick short long nice cool awesome amazing first last next early
    late latest common typical main major key important useful powerful robust messy
    unrelated sure able
    """.split()  # noqa: SIM905 - a word block reads better than quoted strings
)
# Nouns that name no topic alone but may end one: "machine learning", "remote work".
_TAIL = frozenset("learning work working building writing setup projects project stories".split())  # noqa: SIM905
# Words that name a topic only with a partner: "data pipelines", "open source", "deep learning".
_WEAK = frozenset(
    """
    data open source code software research scientific systems system tools tool type types
    management development engineering analysis processing app apps language languages series
    model models real high large computer machine remote deep tech full-stack
    """.split()  # noqa: SIM905 - a word block reads better than quoted strings
)
#: Languages whose general vocabulary decides which words are too common to name a topic.
LANGUAGES = ("en", "de", "nl", "fr", "es", "pt", "it")
# Zipf frequency (log10 of uses per billion words) from which a word of any of these languages
# is too common to name a topic on its own: "time", "work", "open", Dutch "ben", German "war".
_COMMON_ZIPF = 5.5
# A word this common in another language but rare in English is that language's vocabulary
# ("Austausch", "benieuwd", "interesa"), not a technical term (those stay in English).
_FOREIGN_ZIPF = 3.3
_FOREIGN_GAP = 1.5
_ENGLISH_RARE_ZIPF = 3.0
# Below this Zipf frequency a word no dictionary of ours knows is unverified: a name of a tool
# ("pydantic", "DuckDB") or a slip of the keyboard ("currntly"). It must pass the spelling
# check and appear in two profiles of the conference to name a topic.
_KNOWN_ZIPF = 3.0
# A one-letter slip away from a word at least this common (and this much commoner than the
# word itself) is a misspelling of it; short words have so many neighbours ("dask": "task",
# "desk") that only function words count for them ("annd": "and").
_TYPO_TARGET_ZIPF = 3.0
_TYPO_GAP = 1.0
_TYPO_SHORT = 4
_TYPO_SHORT_TARGET_ZIPF = 5.5
# A gerund of a verb this common ("playing", "designing") is doing something, not a subject.
_EVERYDAY_VERB_ZIPF = 4.9


@functools.cache
def _general_words() -> tuple[frozenset[str], frozenset[str], dict[str, float]]:
    """The words too common to name a topic, the general words of the other languages, and
    the Zipf frequency of every English word common enough to be a misspelling's target.

    Built once per process from wordfreq's lists (about a second), which ship in its wheel.
    """
    english = wordfreq.get_frequency_dict("en", wordlist="best")
    known = {w: z for w, f in english.items() if (z := _zipf(f)) >= _TYPO_TARGET_ZIPF}
    common = {w for w, z in known.items() if z >= _COMMON_ZIPF}
    foreign: set[str] = set()
    for language in LANGUAGES[1:]:
        for word, freq in wordfreq.get_frequency_dict(language, wordlist="small").items():
            zipf = _zipf(freq)
            if zipf >= _COMMON_ZIPF:
                common.add(word)
            if zipf >= _FOREIGN_ZIPF:
                in_english = _zipf(english.get(word, 0.0))
                if in_english < _ENGLISH_RARE_ZIPF and zipf - in_english >= _FOREIGN_GAP:
                    foreign.add(word)
    return frozenset(common), frozenset(foreign), known


def _word_classes(word: str) -> frozenset[str]:
    """The parts of speech an English word can be ("NOUN", "VERB", "ADJ", "ADV"); empty for
    a word the lexicon does not hold (names of tools, other languages, typos)."""
    return frozenset(lemminflect.getAllLemmas(word))


def _activity(gerund: str) -> bool:
    """Whether a gerund names an activity ("cooking", "hiking") rather than doing anything
    ("playing", "exploring"): the verbs of activities are rarer than everyday verbs."""
    verbs = lemminflect.getAllLemmas(gerund).get("VERB", ())
    return all(_zipf(wordfreq.word_frequency(v, "en")) < _EVERYDAY_VERB_ZIPF for v in verbs)


def _one_slip(word: str) -> set[str]:
    """Every string one keystroke away: a letter dropped, doubled in, swapped or replaced.

    The first letter stays: people rarely mistype it, and "async" is no slip of "sync".
    """
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    return {
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in letters),
        *(a + c + b for a, b in splits for c in letters),
    } - {word}


@functools.cache
def _misspelt(word: str) -> bool:
    """Whether an unverified word is one slip away from a clearly commoner English word.

    Example:
        >>> [_misspelt(w) for w in ("currntly", "djjango", "annd", "adn", "pydantic", "wasm")]
        [True, True, True, True, False, False]
    """
    known = _general_words()[2]
    own = _zipf(wordfreq.word_frequency(word, "en"))
    if len(word) <= _TYPO_SHORT:
        # "wasm" is no "was": in short words only a doubled or swapped letter is a slip.
        splits = [(word[:i], word[i:]) for i in range(len(word) - 1)]
        near = {a + b[1:] for a, b in splits if b[0] == b[1]}
        near |= {a + b[1] + b[0] + b[2:] for a, b in splits}
        target = max(_TYPO_SHORT_TARGET_ZIPF, own + _TYPO_GAP)
    else:
        near = _one_slip(word)
        target = max(_TYPO_TARGET_ZIPF, own + _TYPO_GAP)
    return any(known.get(n, 0.0) >= target for n in near)


def _zipf(freq: float) -> float:
    return math.log10(freq) + 9.0 if freq > 0 else 0.0


# Token kinds. A bigram needs a topic or weak word, and never starts with a tail word; a
# modifier (an adjective: "distributed", "scientific") only starts one before a noun.
_TOPIC, _WEAK_KIND, _MODIFIER, _COMMON, _TAIL_KIND, _BREAK = 0, 1, 2, 3, 4, 5
_NOUNISH = (_TOPIC, _WEAK_KIND, _TAIL_KIND)

# Punctuation that ends a phrase: "testing, packaging" is two topics, not one bigram.
_PHRASE_BREAK = re.compile(r"(?:[,;:!?()\[\]{}/|\n\r\t\"&*]|\s\+\s|\.(?=\s|$))+")
_SENTENCE_END = re.compile(r"[.!?\n]")


class _Analyzer:
    """Splits profiles into topic terms and remembers how people write each word."""

    def __init__(self) -> None:
        self.common, self.foreign, _ = _general_words()
        self.kinds: dict[str, int] = {}
        # For each word, how often it was written in each form, sentence starts left out.
        self.forms: dict[str, Counter[str]] = {}
        #: Topic words no dictionary knows: tool names and typos, told apart in the fit.
        self.unverified: set[str] = set()
        #: Unverified words whose spelling can be checked (no acronyms, no "node.js").
        self.spelled: set[str] = set()

    def kind(self, token: str, lower: str) -> int:
        if token.isupper() and not token.isdigit():
            # An acronym ("AI", "CI", "DEI") is no function word of French or Italian.
            if lower in ENGLISH_STOP_WORDS or lower in _ROLES or lower in _GENERAL:
                return _BREAK
            if _zipf(wordfreq.word_frequency(lower, "en")) < _KNOWN_ZIPF:
                self.unverified.add(lower)
            return _TOPIC
        known = self.kinds.get(lower)
        if known is not None:
            return known
        kind = self._kind(token, lower)
        if not _has_inner_capital(token):
            self.kinds[lower] = kind
        return kind

    def _kind(self, token: str, lower: str) -> int:
        if (
            lower in STOP_WORDS
            or lower in _ROLES
            or lower in _FILLER
            or lower in _GENERAL
            or lower.isdigit()
        ):
            return _BREAK
        if lower in _TAIL:
            return _TAIL_KIND
        if lower in _WEAK:
            return _WEAK_KIND
        if lower in self.foreign:
            return _BREAK
        classes = _word_classes(lower) if lower.isalpha() else frozenset()
        technical = not lower.isalpha() or _has_inner_capital(token)
        if not technical and classes and "NOUN" not in classes:
            if "ADJ" in classes:
                return _MODIFIER  # "distributed systems", never "distributed" alone
            if "VERB" in classes and lower.endswith("ing") and _activity(lower):
                return _TOPIC  # an activity: "baking", "cooking", "gardening"
            return _BREAK  # verbs and adverbs: "agree", "explain", "currently"
        if not technical and "ADJ" in classes:
            return _MODIFIER  # "functional", "mobile", "static": adjectives first
        if not classes and _zipf(wordfreq.word_frequency(lower, "en")) < _KNOWN_ZIPF:
            self.unverified.add(lower)
            if lower.isalpha():
                self.spelled.add(lower)
        if technical:
            return _TOPIC  # "scikit-learn", "pyproject.toml", "PyTorch": technical by shape
        if lower in self.common:
            return _COMMON
        return _TOPIC

    def __call__(self, text: str) -> list[str]:
        """Unigrams and bigrams of a profile; a bigram never spans a stop word or punctuation.

        Example:
            >>> _Analyzer()("Pytest fixtures and packaging, wheels")
            ['pytest', 'fixtures', 'pytest fixtures', 'packaging', 'wheels']
        """
        out: list[str] = []
        for sentence_start, phrase in _phrases(text):
            previous: str | None = None
            previous_kind = _BREAK
            for position, token in enumerate(TOKEN.findall(phrase)):
                lower = token.casefold()
                kind = self.kind(token, lower)
                if kind == _BREAK:
                    previous, previous_kind = None, _BREAK
                    continue
                if (
                    not (sentence_start and position == 0)
                    or token.isupper()
                    or (kind == _TOPIC and _has_inner_capital(token))
                ):
                    self.forms.setdefault(lower, Counter())[token] += 1
                if kind == _TOPIC:
                    out.append(lower)
                if previous is not None and _pairs(previous_kind, kind):
                    out.append(f"{previous} {lower}")
                previous, previous_kind = lower, kind
        return out

    def display(self, word: str) -> str:
        """The way most people write ``word``: "Django", "FastAPI", "pytest"."""
        forms = self.forms.get(word)
        if not forms:
            return word
        # People who type everything in lower case say nothing about a name; one in three
        # writing "GitHub" does.
        best, count = max(forms.items(), key=lambda fc: (fc[0] != word, fc[1], fc[0]))
        return best if best != word and 2 * count >= forms.get(word, 0) else word


def _pairs(first: int, second: int) -> bool:
    """Whether two neighbouring words make a bigram: a topic or weak word in it, no tail word
    first, no modifier last; a modifier before any noun ("distributed systems")."""
    if first in (_TAIL_KIND, _BREAK) or second in (_MODIFIER, _BREAK):
        return False
    if first == _MODIFIER:
        return second in _NOUNISH
    return min(first, second) <= _WEAK_KIND


def _has_inner_capital(token: str) -> bool:
    return any(c.isupper() for c in token[1:]) and not token.isupper()


def _phrases(text: str) -> list[tuple[bool, str]]:
    """Split at punctuation; say which pieces start a sentence (their first word's capital
    says nothing about the word)."""
    out: list[tuple[bool, str]] = []
    start = 0
    sentence_start = True
    for match in _PHRASE_BREAK.finditer(text):
        out.append((sentence_start, text[start : match.start()]))
        sentence_start = bool(_SENTENCE_END.search(match.group()))
        start = match.end()
    out.append((sentence_start, text[start:]))
    return out


def _unreal_words(analyzer: _Analyzer, df: Counter[str]) -> set[str]:
    """The unverified words that name no topic: misspellings, and words only one profile uses.

    A word no dictionary knows is a topic ("pydantic", "DuckDB") only when two profiles use it
    and it is no slip of the keyboard: not one keystroke from a clearly commoner English word
    ("currntly"), nor from a word of this conference that five times as many profiles use
    ("pydnatic" beside "pydantic").
    """
    unverified = analyzer.unverified
    rejected = {word for word in unverified if df.get(word, 0) < 2}
    for word in analyzer.spelled:
        if word in rejected:
            continue
        if (
            len(word) > _TYPO_SHORT
            and any(
                df.get(near, 0) >= 5 * df[word] for near in _one_slip(word) if near in unverified
            )
        ) or _misspelt(word):
            rejected.add(word)
    return rejected


def _without(terms: list[str], words: set[str]) -> list[str]:
    return [t for t in terms if words.isdisjoint(t.split())] if words else terms


def _given_terms(terms: list[str]) -> list[str]:
    return terms


def _part_columns(terms: NDArray[np.str_]) -> NDArray[np.int64]:
    """For each column, the columns of a bigram's two words (-1 for unigrams or unknown words)."""
    column = {str(t): i for i, t in enumerate(terms)}
    parts = np.full((len(terms), 2), -1, dtype=np.int64)
    for i, term in enumerate(terms):
        words = str(term).split()
        if len(words) == 2:
            parts[i] = [column.get(words[0], -1), column.get(words[1], -1)]
    return parts


def _prefer_bigrams(
    score: sp.csr_matrix, users: sp.csr_matrix | None, parts: NDArray[np.int64]
) -> sp.csr_matrix:
    """Fold a word into the bigram it comes in when the bigram is what those people share.

    "machine" at a table where everyone who says it says "machine learning" is that bigram:
    the bigram takes the word's score and the word drops out. Where more people use the word
    than the bigram ("testing" against one "mutation testing") the word stays. Without
    ``users`` (one person, or words two people both use) a present bigram always wins.
    Vectorised over all rows: one sorted lookup of (row, column) keys.
    """
    score = sp.csr_matrix(score, copy=True)
    score.sort_indices()
    n_cols = score.shape[1]
    if score.nnz == 0 or n_cols == 0:
        return score
    rows = np.repeat(np.arange(score.shape[0], dtype=np.int64), np.diff(score.indptr))
    cols = score.indices.astype(np.int64)
    keys = rows * n_cols + cols
    count = np.ones_like(score.data)
    if users is not None:
        users = sp.csr_matrix(users, copy=True)
        users.sort_indices()
        count = users.data
    data = score.data.copy()
    drop = np.zeros(len(data), dtype=bool)
    bigram = np.flatnonzero(parts[cols, 0] >= 0) if len(cols) else np.array([], dtype=np.int64)
    for side in (0, 1):
        part = parts[cols[bigram], side]
        has_part = part >= 0
        where = bigram[has_part]
        query = rows[where] * n_cols + part[has_part]
        found = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        present = keys[found] == query
        where, found = where[present], found[present]
        folded = count[found] <= count[where]
        where, found = where[folded], found[folded]
        np.maximum.at(data, where, score.data[found])
        drop[found] = True
    data[drop] = 0.0
    score.data = data
    score.eliminate_zeros()
    return score


def _pick(
    terms: NDArray[np.str_],
    indices: NDArray[np.int32],
    scores: NDArray[np.floating],
    top: int,
) -> list[int]:
    # A bigram and its own words say the same thing; keep whichever scores higher. Two bigrams
    # may share a word ("machine learning", "deep learning").
    chosen: list[int] = []
    if not len(indices):
        return chosen
    unigrams: set[str] = set()
    bigram_words: set[str] = set()
    # Only the best few can win even after dropping overlaps; rows of a table hold hundreds.
    shortlist = 4 * top
    if len(indices) > shortlist:
        best = np.argpartition(-scores, shortlist)[:shortlist]
        indices, scores = indices[best], scores[best]
    # Rows are short now: sorting Python lists beats numpy's per-call overhead.
    for _, column in sorted(zip((-scores).tolist(), indices.tolist(), strict=True)):
        parts = str(terms[column]).split()
        if (len(parts) == 1 and parts[0] in bigram_words) or unigrams.intersection(parts):
            continue
        chosen.append(column)
        if len(parts) == 1:
            unigrams.add(parts[0])
        else:
            bigram_words.update(parts)
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

    def fit(self, texts: Sequence[str], *, names: Sequence[str] | None = None) -> CommonGround:
        """Fit the vocabulary and weights on every profile of the conference.

        Args:
            texts: One profile per attendee, in attendee order; empty strings are fine.
            names: The writers' names, in the same order: a bio names its writer ("Hannah
                is a data engineer"), and that name is no topic.

        Returns:
            self
        """
        n = len(texts)
        if names is not None and len(names) != n:
            raise ValueError(f"Give one name per profile. Got {len(names)} for {n} profiles.")
        min_df = self.min_df if self.min_df is not None else (1 if n < 1000 else 2)
        if isinstance(min_df, bool) or not isinstance(min_df, int) or min_df < 1:
            raise ValueError(f"The 'min_df' parameter must be an int >= 1. Got {min_df!r} instead.")
        if not 0.0 < self.max_df <= 1.0:
            raise ValueError(
                f"The 'max_df' parameter must be in (0, 1]. Got {self.max_df!r} instead."
            )
        analyzer = _Analyzer()
        analyzed = [[] if is_placeholder_profile(t) else analyzer(t) for t in texts]
        if names is not None:
            analyzed = [
                _without(terms, {w.casefold() for w in TOKEN.findall(name or "")})
                for terms, name in zip(analyzed, names, strict=True)
            ]
        vocabulary = self._vocabulary(analyzed, min_df=min_df, analyzer=analyzer)
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
        self._profiles = np.asarray(
            [not is_placeholder_profile(t) for t in texts],
            dtype=bool,
        )
        self._display = [" ".join(analyzer.display(w) for w in str(t).split()) for t in self.terms_]
        self._parts = _part_columns(self.terms_)
        return self

    def _vocabulary(
        self, analyzed: list[list[str]], *, min_df: int, analyzer: _Analyzer
    ) -> dict[str, int]:
        # Counted here rather than by the vectorizer: profiles make many bigrams used once,
        # and sklearn sorts and prunes its full vocabulary, which costs more than the fit.
        n = len(analyzed)
        df = Counter(term for terms in analyzed for term in set(terms))
        most = self.max_df * n if n >= 50 else n
        rejected = _unreal_words(analyzer, df)
        kept = [
            (count, term)
            for term, count in df.items()
            if min_df <= count <= most and rejected.isdisjoint(term.split())
        ]
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
        users = self._users(membership)
        score = sp.csr_matrix(summed.multiply(users))
        return self._picked(score, users, top)

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
        return self._picked(both, None, top)

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
        return self._picked(only, None, top)

    def own_topics(self, rows: Rows, *, top: int = 2) -> list[list[str]]:
        """Return, for each of ``rows``, the strongest words of that attendee's profile.

        Example:
            >>> ground = CommonGround().fit(["machine learning and chess", "rust", "go"])
            >>> ground.own_topics([0])
            [['chess', 'machine learning']]
        """
        return self._picked(
            sp.csr_matrix(self.matrix_[np.asarray(rows, dtype=np.int64)]), None, top
        )

    def _picked(
        self, score: sp.csr_matrix, users: sp.csr_matrix | None, top: int
    ) -> list[list[str]]:
        score = _prefer_bigrams(score, users, self._parts)
        display = self._display
        return [
            [display[c] for c in _pick(self.terms_, score.indices[lo:hi], score.data[lo:hi], top)]
            for lo, hi in zip(score.indptr[:-1], score.indptr[1:], strict=True)
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
