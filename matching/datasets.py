"""Synthetic conferences for tests, benchmarks and the demo.

Like scikit-learn's ``make_blobs``: :func:`make_conference` draws a realistic attendee list
(heavy-tailed company sizes, affiliation spelling variants, parties, solo attendees, home towns,
languages and varied free-text profiles) and :func:`make_embeddings_like` draws cheap synthetic
embeddings with a topic structure, for speed benchmarks at a scale where the real model is too
slow. Both are deterministic for a given ``random_state``.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from matching.types import Attendee

__all__ = ["TOPICS", "make_conference", "make_embeddings_like", "profile_topics"]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Topic:
    name: str
    popularity: float
    keywords: tuple[str, ...]
    roles: tuple[str, ...]
    #: Topics in the same family sit closer together in :func:`make_embeddings_like`.
    family: str


# A broad taxonomy of Python-conference interests. Keywords are what people actually type;
# the same keywords identify a profile's topics in :func:`profile_topics`.
_TOPIC_LIST: tuple[_Topic, ...] = (
    _Topic("web frameworks", 10, ("Django", "Flask", "FastAPI", "HTMX", "REST APIs", "Wagtail",
           "GraphQL", "web development", "Litestar", "Starlette", "Django REST framework"),
           ("backend developer", "web developer", "full-stack developer", "tech lead"), "web"),
    _Topic("data science", 9, ("pandas", "Polars", "data analysis", "Jupyter notebooks",
           "data visualisation", "dashboards", "statistics", "DuckDB", "Matplotlib", "Plotly"),
           ("data scientist", "data analyst", "analytics engineer", "BI developer"), "data"),
    _Topic("machine learning", 9, ("machine learning", "PyTorch", "scikit-learn", "deep learning",
           "LLMs", "NLP", "computer vision", "recommender systems", "transformers",
           "time series forecasting", "reinforcement learning"),
           ("ML engineer", "data scientist", "research engineer", "AI researcher"), "data"),
    _Topic("MLOps", 5, ("MLOps", "model serving", "feature stores", "MLflow", "experiment tracking",
           "ML pipelines", "model monitoring", "Kubeflow"),
           ("ML platform engineer", "MLOps engineer", "data engineer"), "data"),
    _Topic("data engineering", 6, ("data pipelines", "Airflow", "dbt", "Spark", "Kafka", "ETL",
           "data lakes", "Dagster", "Apache Arrow", "streaming data"),
           ("data engineer", "analytics engineer", "platform engineer"), "data"),
    _Topic("testing", 6, ("pytest", "testing", "property-based testing", "Hypothesis",
           "test automation", "TDD", "mutation testing", "flaky tests", "Playwright"),
           ("QA engineer", "test automation engineer", "software engineer"), "craft"),
    _Topic("packaging", 4, ("packaging", "pip", "uv", "Poetry", "wheels", "PyPI", "conda",
           "dependency management", "pyproject.toml", "reproducible builds"),
           ("tooling engineer", "release engineer", "open-source maintainer"), "craft"),
    _Topic("async", 4, ("asyncio", "async Python", "concurrency", "trio", "AnyIO",
           "event loops", "websockets", "free-threaded Python"),
           ("backend developer", "software engineer"), "craft"),
    _Topic("typing", 4, ("type hints", "mypy", "static typing", "Pyright", "Pydantic",
           "gradual typing", "dataclasses"),
           ("software engineer", "tooling engineer"), "craft"),
    _Topic("security", 4, ("security", "supply chain security", "authentication", "OAuth",
           "cryptography", "threat modelling", "secure coding", "SBOMs"),
           ("security engineer", "AppSec engineer", "pentester"), "ops"),
    _Topic("education", 4, ("teaching Python", "education", "bootcamps", "teaching kids to code",
           "mentoring", "curriculum design", "university courses", "workshops"),
           ("teacher", "lecturer", "trainer", "developer advocate"), "people"),
    _Topic("embedded", 3, ("MicroPython", "CircuitPython", "embedded systems", "Raspberry Pi",
           "IoT", "microcontrollers", "home automation", "robotics", "hardware hacking"),
           ("embedded developer", "firmware engineer", "robotics engineer"), "science"),
    _Topic("scientific computing", 5, ("scientific computing", "NumPy", "SciPy", "simulations",
           "HPC", "bioinformatics", "astronomy", "climate models", "research software", "Julia"),
           ("research software engineer", "PhD student", "postdoc", "scientist"), "science"),
    _Topic("devops", 6, ("DevOps", "Kubernetes", "Docker", "CI/CD", "infrastructure as code",
           "Terraform", "Ansible", "observability", "SRE", "cloud", "GitHub Actions"),
           ("DevOps engineer", "SRE", "platform engineer", "cloud architect"), "ops"),
    _Topic("databases", 5, ("PostgreSQL", "SQLAlchemy", "databases", "SQL", "query optimisation",
           "Redis", "MongoDB", "ORMs", "database migrations", "SQLite"),
           ("backend developer", "database engineer", "DBA"), "web"),
    _Topic("GIS", 2, ("GIS", "geospatial data", "maps", "GeoPandas", "QGIS", "remote sensing",
           "OpenStreetMap", "satellite imagery"),
           ("GIS analyst", "geospatial developer", "earth observation scientist"), "science"),
    _Topic("community", 4, ("community building", "diversity and inclusion", "meetups",
           "PyLadies", "organising conferences", "Python user groups", "DEI", "code of conduct"),
           ("community manager", "developer advocate", "organiser"), "people"),
    _Topic("open source", 5, ("open source", "maintaining libraries", "open-source sustainability",
           "CPython", "contributing to open source", "governance", "funding open source"),
           ("open-source maintainer", "core developer", "software engineer"), "people"),
    _Topic("game dev", 2, ("game development", "Pygame", "Godot", "procedural generation",
           "game jams", "Ren'Py", "Arcade"), ("indie game developer", "hobbyist"), "fun"),
    _Topic("CLI tools", 3, ("CLI tools", "Typer", "Click", "Rich", "Textual", "terminal apps",
           "automation scripts", "developer tooling"),
           ("tooling engineer", "software engineer", "sysadmin"), "craft"),
    _Topic("performance", 4, ("performance", "Rust extensions", "PyO3", "Cython", "profiling",
           "Numba", "JIT compilers", "memory optimisation", "C extensions", "the GIL"),
           ("performance engineer", "systems programmer", "software engineer"), "craft"),
    _Topic("accessibility", 2, ("accessibility", "a11y", "screen readers", "inclusive design",
           "WCAG", "assistive technology"), ("frontend developer", "UX engineer"), "people"),
    _Topic("finance", 3, ("fintech", "quantitative finance", "trading systems", "risk models",
           "payments", "algorithmic trading"), ("quant developer", "quant analyst"), "data"),
    _Topic("health", 2, ("health tech", "medical imaging", "clinical data", "genomics",
           "epidemiology"), ("health data scientist", "bioinformatician"), "science"),
    _Topic("frontend", 3, ("PyScript", "WebAssembly", "Pyodide", "frontend", "JavaScript interop",
           "design systems"), ("frontend developer", "full-stack developer"), "web"),
    _Topic("career", 3, ("career change", "career growth", "engineering management", "hiring",
           "remote work", "burnout", "technical writing", "documentation"),
           ("engineering manager", "CTO", "team lead", "technical writer"), "people"),
)  # fmt: skip

#: Topic names of the taxonomy the generator draws interests from.
TOPICS: tuple[str, ...] = tuple(t.name for t in _TOPIC_LIST)

_ORG_KINDS = (
    "a startup", "a small agency", "a bank", "an insurance company", "a university",
    "a research institute", "a consultancy", "an e-commerce company", "a non-profit",
    "a public-sector agency", "a hospital", "a logistics company", "a media company",
    "a telecom", "a game studio", "an energy company", "a car maker", "a SaaS company",
)  # fmt: skip

_OPENERS = (
    "{Role} at {org}.", "I'm a {role} at {org}.", "{Role} here.", "{Role}, {years} years in.",
    "Working as a {role} at {org}.", "I work as a {role}.", "{Role} by day.",
    "Hi! {Role} from {city}.", "Currently a {role} at {org}.", "{Role} turned {role2}.",
    "Former {role2}, now {role}.", "Freelance {role}.", "{Role} on a team of {team}.",
)  # fmt: skip

_ONE = (
    "Mostly into {k1}.", "Interested in {k1}.", "I spend my days with {k1}.",
    "Would love to talk about {k1}.", "Happy to chat about {k1} anytime.",
    "Looking for people who use {k1} in production.", "Learning {k1} right now.",
    "Big fan of {k1}.", "Recently got into {k1}.", "Ask me about {k1}.",
    "I gave a talk on {k1} last year.", "I write a blog about {k1}.",
    "Trying to convince my team to adopt {k1}.", "Curious how others approach {k1}.",
    "Deep in {k1} these days.", "{K1} is my thing.", "Struggling with {k1} at work, send help.",
    "Keen to swap war stories about {k1}.", "I maintain a small {k1} library.",
)  # fmt: skip

_TWO = (
    "Mostly into {k1} and {k2}.", "Interested in {k1}, also {k2}.",
    "I work on {k1} and dabble in {k2}.", "Curious about {k1}, especially {k2}.",
    "{K1} at work, {k2} for fun.", "Currently migrating our {k1} setup and learning {k2}.",
    "Between {k1} and {k2} most days.", "Looking to meet people doing {k1} or {k2}.",
    "I care a lot about {k1} and {k2}.", "Trying to bring {k2} into our {k1} projects.",
    "Happy to talk {k1}, {k2}, or anything else really.",
    "My current rabbit hole: {k1} meets {k2}.", "Would like to learn more about {k2}; I know {k1}.",
)  # fmt: skip

_ASIDES = (
    "Coffee snob.", "Ask me about sourdough.", "Trail runner.", "I play chess, badly.",
    "Board games!", "Cat person.", "Parent of two.", "Cyclist.", "Climber in my free time.",
    "Amateur photographer.", "Learning Japanese.", "Vinyl collector.", "I brew my own beer.",
    "Dog person.", "First time speaking at a conference!", "Gardener on weekends.",
    "Into birdwatching.", "Jazz piano is my other hobby.", "I knit during talks.",
    "Tea over coffee, always.", "Loves hiking.", "Volunteer at the local makerspace.",
    "Happy to show you the best ramen in town.", "Ultimate frisbee player.",
    "Looking for a new job, by the way.", "We're hiring!", "Say hi, I don't bite.",
    "Introvert, but I'll happily talk shop.", "Football fan.", "Runs a small podcast.",
)  # fmt: skip

_KEYWORD_JOINERS = (", ", " / ", "; ", " + ", ", ")

# Short non-English profiles; technical keywords stay in English, as people write them.
_FOREIGN = {
    "German": (
        "Ich arbeite als Entwickler*in mit {k1} und interessiere mich für {k2}.",
        "Hauptsächlich {k1}, privat auch {k2}.",
        "Interesse an {k1}. Gerne Austausch!",
    ),
    "French": (
        "Je travaille surtout avec {k1} et je m'intéresse à {k2}.",
        "Passionné(e) par {k1}. Toujours partant(e) pour discuter de {k2}.",
        "Développeur/se {k1}, curieux/se de {k2}.",
    ),
    "Spanish": (
        "Trabajo con {k1} y me interesa mucho {k2}.",
        "Me encanta {k1}. Hablemos de {k2}.",
        "Desarrollador/a de {k1}, aprendiendo {k2}.",
    ),
    "Portuguese": (
        "Trabalho com {k1} e tenho interesse em {k2}.",
        "Apaixonado(a) por {k1} e {k2}.",
    ),
    "Italian": ("Lavoro con {k1} e mi interessa {k2}.", "Appassionato/a di {k1}."),
    "Japanese": (
        "{k1}と{k2}に興味があります。",
        "普段は{k1}を使っています。{k2}の話をしましょう。",
    ),
    "Polish": ("Pracuję z {k1}, interesuje mnie {k2}.",),
    "Dutch": ("Ik werk met {k1} en ben benieuwd naar {k2}.",),
}

# (city, country language, weight). A few big hubs, a long tail of smaller towns.
_CITIES: tuple[tuple[str, str, float], ...] = (
    ("Berlin", "German", 60), ("London", "English", 55), ("Paris", "French", 40),
    ("Amsterdam", "Dutch", 35), ("Munich", "German", 30), ("Madrid", "Spanish", 22),
    ("Barcelona", "Spanish", 22), ("Lisbon", "Portuguese", 18), ("Prague", "Czech", 15),
    ("Warsaw", "Polish", 15), ("Vienna", "German", 14), ("Zurich", "German", 14),
    ("Dublin", "English", 13), ("Stockholm", "Swedish", 12), ("Copenhagen", "Danish", 10),
    ("Hamburg", "German", 12), ("Cologne", "German", 9), ("Milan", "Italian", 12),
    ("Rome", "Italian", 8), ("Lyon", "French", 7), ("Brussels", "French", 9),
    ("Helsinki", "Finnish", 7), ("Oslo", "Norwegian", 6), ("Manchester", "English", 8),
    ("Edinburgh", "English", 6), ("Kraków", "Polish", 7), ("Budapest", "Hungarian", 6),
    ("Athens", "Greek", 5), ("Porto", "Portuguese", 5), ("Valencia", "Spanish", 5),
    ("Utrecht", "Dutch", 5), ("Rotterdam", "Dutch", 5), ("Leipzig", "German", 5),
    ("Karlsruhe", "German", 4), ("Grenoble", "French", 3), ("Toulouse", "French", 4),
    ("Bristol", "English", 4), ("Cambridge", "English", 4), ("Ljubljana", "Slovenian", 3),
    ("Bratislava", "Slovak", 3), ("Vilnius", "Lithuanian", 3), ("Tallinn", "Estonian", 3),
    ("Bucharest", "Romanian", 4), ("Kyiv", "Ukrainian", 4), ("Istanbul", "Turkish", 4),
    ("New York", "English", 6), ("San Francisco", "English", 5), ("Toronto", "English", 3),
    ("São Paulo", "Portuguese", 4), ("Buenos Aires", "Spanish", 3), ("Mexico City", "Spanish", 3),
    ("Tokyo", "Japanese", 4), ("Osaka", "Japanese", 2), ("Bangalore", "English", 4),
    ("Pune", "English", 2), ("Singapore", "English", 2), ("Tel Aviv", "Hebrew", 2),
    ("Lagos", "English", 2), ("Nairobi", "English", 2), ("Cape Town", "English", 1),
    ("Sydney", "English", 2), ("Freiburg", "German", 2), ("Bologna", "Italian", 2),
    ("Gothenburg", "Swedish", 2), ("Aarhus", "Danish", 1), ("Ghent", "Dutch", 2),
    ("Nantes", "French", 2), ("Seville", "Spanish", 2), ("Graz", "German", 2),
    ("Brno", "Czech", 2), ("Wrocław", "Polish", 2), ("Cluj-Napoca", "Romanian", 2),
)  # fmt: skip

# Probability that someone whose first language is this also speaks English.
_ENGLISH_RATE = {"English": 1.0, "Japanese": 0.75, "Spanish": 0.85, "French": 0.85,
                 "Italian": 0.85, "Portuguese": 0.87, "Turkish": 0.85}  # fmt: skip
_EXTRA_LANGUAGES = ("German", "French", "Spanish", "Italian", "Portuguese", "Dutch", "Russian",
                    "Mandarin", "Hindi", "Arabic", "Japanese", "Polish")  # fmt: skip

_FIRST = {
    "English": ("James", "Olivia", "Amelia", "Harry", "Grace", "Jack", "Chloe", "Liam", "Emma",
                "Noah", "Ava", "Ethan", "Priya", "Arjun", "Aisha", "Chinedu", "Ngozi", "Kwame",
                "Wei", "Mei", "Sam", "Alex", "Jordan", "Taylor", "Rohan", "Ananya", "Siobhan"),
    "German": ("Lukas", "Anna", "Felix", "Lea", "Jonas", "Lena", "Maximilian", "Sophie", "Paul",
               "Marie", "Jürgen", "Katrin", "Tobias", "Julia", "Stefan", "Sabine", "Mehmet"),
    "French": ("Louis", "Camille", "Hugo", "Manon", "Lucas", "Chloé", "Théo", "Léa", "Nathan",
               "Inès", "Antoine", "Élodie", "Mathieu", "Amandine", "Karim", "Yasmine"),
    "Spanish": ("Pablo", "Lucía", "Alejandro", "María", "Javier", "Carmen", "Diego", "Sofía",
                "Sergio", "Paula", "Andrés", "Valentina", "Mateo", "Isabel"),
    "Portuguese": ("João", "Beatriz", "Tiago", "Mariana", "Rafael", "Inês", "Gabriel",
                   "Larissa", "Pedro", "Camila", "Bruno", "Fernanda"),
    "Italian": ("Marco", "Giulia", "Alessandro", "Chiara", "Luca", "Francesca", "Matteo",
                "Sara", "Davide", "Elena"),
    "Dutch": ("Daan", "Sanne", "Bram", "Fleur", "Sem", "Lotte", "Thijs", "Femke", "Joost"),
    "Polish": ("Jakub", "Zuzanna", "Piotr", "Katarzyna", "Michał", "Agnieszka", "Tomasz",
               "Magdalena", "Łukasz"),
    "Nordic": ("Erik", "Astrid", "Lars", "Ingrid", "Mikko", "Aino", "Sven", "Freja", "Oskar",
               "Sigrid", "Jukka"),
    "Japanese": ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Takumi", "Sakura", "Kenji",
                 "Yuki"),
    "Other": ("Nikos", "Eleni", "Andrei", "Ioana", "Tamás", "Zsófia", "Ondřej", "Tereza",
              "Olena", "Taras", "Emre", "Elif", "Noa", "Yosef", "Marta", "Jānis", "Rasa"),
}  # fmt: skip

_LAST = {
    "English": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Patel",
                "Sharma", "Okafor", "Mensah", "Chen", "Wang", "O'Brien", "Murphy", "Walker",
                "Nguyen", "Kim", "Singh", "Iyer", "Adeyemi", "Clarke", "Hughes", "Kaur"),
    "German": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
               "Hoffmann", "Schulz", "Koch", "Richter", "Yilmaz", "Neumann", "Zimmermann"),
    "French": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy",
               "Moreau", "Lefèvre", "Benali", "Garnier", "Fontaine"),
    "Spanish": ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
                "Pérez", "Romero", "Navarro", "Torres", "Ruiz"),
    "Portuguese": ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues",
                   "Almeida", "Carvalho", "Sousa"),
    "Italian": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
                "Ricci", "Marino", "Greco"),
    "Dutch": ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit",
              "Meijer", "van Dijk"),
    "Polish": ("Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kamiński", "Lewandowska",
               "Zieliński", "Szymańska"),
    "Nordic": ("Andersson", "Johansson", "Nielsen", "Hansen", "Virtanen", "Korhonen", "Larsen",
               "Lindqvist", "Berg", "Halvorsen"),
    "Japanese": ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto",
                 "Nakamura", "Kobayashi"),
    "Other": ("Papadopoulos", "Popescu", "Nagy", "Novák", "Dvořák", "Shevchenko", "Kovalenko",
              "Demir", "Kaya", "Cohen", "Levi", "Kalniņš", "Horvat", "Kazlauskas"),
}  # fmt: skip

_NAME_GROUPS = tuple(_FIRST)
_NAME_GROUP = {
    "English": "English", "German": "German", "French": "French", "Spanish": "Spanish",
    "Portuguese": "Portuguese", "Italian": "Italian", "Dutch": "Dutch", "Polish": "Polish",
    "Swedish": "Nordic", "Danish": "Nordic", "Finnish": "Nordic", "Norwegian": "Nordic",
    "Japanese": "Japanese",
}  # fmt: skip

_FREE_MAIL = ("gmail.com", "gmail.com", "gmail.com", "outlook.com", "proton.me", "yahoo.com",
              "gmx.de", "web.de", "hotmail.com", "icloud.com", "posteo.de", "free.fr")  # fmt: skip
_NO_EMPLOYER_ANSWERS = ("", "", "", "Freelance", "freelancer", "Independent", "Self-employed",
                        "self", "-", "n/a", "Student", "Retired")  # fmt: skip

_BRAND_HEAD = (
    "Zen", "Volt", "Nova", "Quant", "Lum", "Tera", "Hexa", "Omni", "Veri", "Astra", "Brio",
    "Cora", "Dyna", "Flux", "Geo", "Helio", "Iso", "Kin", "Lyra", "Meta", "Nimbus", "Orbi",
    "Pixel", "Qubi", "Rivo", "Sola", "Trix", "Umbra", "Vela", "Wren", "Xeno", "Yara", "Zeph",
    "Arca", "Bolt", "Cyber", "Data", "Echo", "Fable", "Gira",
)  # fmt: skip
_BRAND_TAIL = (
    "tix", "ra", "lytics", "sys", "ware", "ly", "io", "hub", "nest", "forge", "mind", "scale",
    "wave", "grid", "stack", "loop", "base", "spark", "point", "craft", "byte", "logic", "port",
    "cloud", "labs", "data", "vio", "nix", "ora", "tek",
)  # fmt: skip
_WORD_HEAD = (
    "Blue", "Red", "Green", "Northern", "Nordic", "Alpine", "Atlantic", "Quantum", "Open",
    "Bright", "Silver", "Golden", "Urban", "Rapid", "Clear", "Deep", "Little", "Iron", "Swift",
    "True", "Wild", "Polar", "Coastal", "Prime",
)  # fmt: skip
_WORD_TAIL = (
    "Labs", "Systems", "Analytics", "Data", "Works", "Software", "Digital", "Solutions",
    "Technologies", "Insights", "Robotics", "Health", "Energy", "Logistics", "Media", "Bank",
    "Insurance", "Games", "Consulting",
)  # fmt: skip
_UNIVERSITIES = (
    ("University of Amsterdam", "uva.nl"), ("TU Delft", "tudelft.nl"),
    ("Heidelberg University", "uni-heidelberg.de"), ("ETH Zurich", "ethz.ch"),
    ("University of Cambridge", "cam.ac.uk"), ("Sorbonne University", "sorbonne-universite.fr"),
    ("University of Lisbon", "ulisboa.pt"), ("Charles University", "cuni.cz"),
    ("KU Leuven", "kuleuven.be"), ("University of Oslo", "uio.no"),
    ("Politecnico di Milano", "polimi.it"), ("University of Warsaw", "uw.edu.pl"),
)  # fmt: skip
_SUFFIX_BY_LANGUAGE = {
    "German": ("GmbH", "AG", "SE"), "English": ("Ltd", "Inc.", "LLC", "plc"),
    "French": ("SAS", "SA", "SARL"), "Spanish": ("SL", "S.A."), "Portuguese": ("S.A.",),
    "Italian": ("S.r.l.", "S.p.A."), "Dutch": ("B.V.", "N.V."), "Polish": ("S.A.",),
    "Swedish": ("AB",), "Danish": ("ApS",), "Finnish": ("Oy",), "Norwegian": ("AS",),
    "Japanese": ("K.K.",),
}  # fmt: skip
_TLD_BY_LANGUAGE = {
    "German": ("de", "com", "io"), "English": ("com", "co.uk", "io", "com"),
    "French": ("fr", "com"),
    "Spanish": ("es", "com"), "Portuguese": ("pt", "com.br", "com"), "Italian": ("it", "com"),
    "Dutch": ("nl", "com", "io"), "Polish": ("pl", "com"), "Japanese": ("co.jp", "jp"),
}  # fmt: skip


@dataclass(slots=True)
class _Company:
    name: str
    suffix: str
    domain: str
    city: int
    topic: int
    academic: bool = False


@dataclass(slots=True)
class _Person:
    company: int  # -1 for no employer
    city: int
    solo: bool = False
    party: str | None = None


def _pick(py: random.Random, seq: Sequence[_T]) -> _T:
    # random.choice costs a microsecond per call; this is the same draw at a tenth of that.
    return seq[int(py.random() * len(seq))]


@functools.lru_cache(maxsize=65536)
def _slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", ascii_only.replace("ł", "l"))


def _company_sizes(n_employed: int, rng: np.random.Generator) -> list[int]:
    # Zipf sizes give the real shape: most companies send one to three people, a few send
    # dozens, and at 10k attendees the largest send a couple of hundred.
    cap = max(3, int(0.04 * n_employed))
    sizes: list[int] = []
    total = 0
    while total < n_employed:
        draw = rng.zipf(2.2, size=max(64, n_employed // 3))
        # Redrawing (rather than clipping) oversized companies avoids a pile-up at the cap.
        draw = draw[draw <= cap]
        for s in draw.tolist():
            s = min(s, n_employed - total)
            sizes.append(s)
            total += s
            if total >= n_employed:
                break
    return sizes


def _company_names(count: int, py: random.Random) -> list[str]:
    # Plain names ("Voltforge", "Blue Labs") first; only large conferences need the longer
    # tiers, which keep names unique (and so their affiliation keys distinct) at 100k.
    tiers = [
        [h + t for h in _BRAND_HEAD for t in _BRAND_TAIL]
        + [f"{h} {t}" for h in _WORD_HEAD for t in _WORD_TAIL],
        [h + t + x for h in _BRAND_HEAD for t in _BRAND_TAIL for x in ("a", "on", "ix", "um")],
        [f"{w} {h}{t}" for w in _WORD_HEAD for h in _BRAND_HEAD for t in _BRAND_TAIL],
    ]
    names: list[str] = []
    seen: set[str] = set()
    for tier in tiers:
        py.shuffle(tier)
        for name in tier:
            key = _slug(name)
            if key not in seen:
                seen.add(key)
                names.append(name)
            if len(names) == count:
                return names
    while len(names) < count:
        names.append(f"{_pick(py, _BRAND_HEAD)}{_pick(py, _BRAND_TAIL)} {len(names)}")
    return names


def _affiliation_variant(company: _Company, py: random.Random) -> str:
    """How one employee happens to type the company name."""
    if company.academic:
        return _pick(py, (company.name, company.name, company.name.upper(), company.name.lower()))
    name, suffix = company.name, company.suffix
    r = py.random()
    if r < 0.45:
        return name
    if r < 0.65:
        return f"{name} {suffix}"
    if r < 0.73:
        return f"{name}, {suffix}"
    if r < 0.81:
        return name.upper() if len(name) <= 8 else name.lower()
    if r < 0.88:
        return f"{name.lower()}, {suffix.lower()}"
    if r < 0.94:
        return f"{name.upper()} {suffix.upper()}"
    return f" {name} "


def _email(first: str, last: str, domain: str, py: random.Random) -> str:
    f, la = _slug(first), _slug(last)
    r = py.random()
    if r < 0.5:
        local = f"{f}.{la}"
    elif r < 0.7:
        local = f"{f[:1]}{la}"
    elif r < 0.85:
        local = f
    else:
        local = f"{f}{la}{py.randrange(1, 99)}" if py.random() < 0.5 else f"{f}_{la}"
    return f"{local}@{domain}"


def _keywords(topics: Sequence[int], py: random.Random) -> list[str]:
    picked: list[str] = []
    for t in topics:
        kws = _TOPIC_LIST[t].keywords
        picked.extend(_pick(py, kws) for _ in range(_pick(py, (1, 1, 2, 2, 3))))
    picked = list(dict.fromkeys(picked))
    py.shuffle(picked)
    return picked


def _typo(text: str, py: random.Random) -> str:
    for _ in range(py.randint(1, 2)):
        if len(text) < 8:
            break
        i = py.randrange(1, len(text) - 2)
        if py.random() < 0.5:
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        else:
            text = text[:i] + text[i + 1 :]
    return text


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _profile(
    topics: Sequence[int],
    city: str,
    language: str,
    speaks_english: bool,
    py: random.Random,
) -> str:
    kws = _keywords(topics, py)
    k1 = kws[0]
    k2 = kws[1] if len(kws) > 1 else _pick(py, _TOPIC_LIST[topics[0]].keywords)
    if language in _FOREIGN and (not speaks_english or py.random() < 0.04):
        text = _pick(py, _FOREIGN[language]).format(k1=k1, k2=k2)
        return text if len(kws) < 3 else f"{text} {', '.join(kws[2:])}."
    style = py.random()
    if style < 0.16:
        # Keyword lists, as in a registration form's "interests" box.
        joiner = _pick(py, _KEYWORD_JOINERS)
        text = joiner.join(kws if py.random() < 0.7 else [k.lower() for k in kws])
        return text if py.random() < 0.6 else _cap(text)
    role_topic = _TOPIC_LIST[_pick(py, topics)]
    role = _pick(py, role_topic.roles)
    fields = {
        "role": role,
        "Role": _cap(role),
        "role2": _pick(py, _pick(py, _TOPIC_LIST).roles),
        "org": _pick(py, _ORG_KINDS),
        "years": 1 + int(25 * py.random()),
        "team": 2 + int(39 * py.random()),
        "city": city,
    }
    parts: list[str] = []
    if style < 0.36:
        # A single sentence.
        template = _pick(py, _TWO if len(kws) > 1 and py.random() < 0.5 else _ONE)
        parts.append(template.format(k1=k1, k2=k2, K1=_cap(k1)))
    else:
        if py.random() < 0.75:
            parts.append(_pick(py, _OPENERS).format(**fields))
        if len(kws) > 1 and py.random() < 0.6:
            parts.append(_pick(py, _TWO).format(k1=k1, k2=k2, K1=_cap(k1)))
            rest = kws[2:]
        else:
            parts.append(_pick(py, _ONE).format(k1=k1, K1=_cap(k1)))
            rest = kws[1:]
        if rest:
            tail = ", ".join(rest)
            parts.append(
                _pick(
                    py, ("Also {t}.", "Plus {t}.", "Side interests: {t}.", "And {t}, lately.")
                ).format(t=tail)
            )
        if py.random() < 0.45:
            parts.append(_pick(py, _ASIDES))
        if style > 0.94:
            parts.append(_pick(py, _ASIDES))
            parts.append(_pick(py, _ONE).format(k1=k2, K1=_cap(k2)))
    text = " ".join(parts)
    if py.random() < 0.08:
        text = text.lower()
    if py.random() < 0.06:
        text = _typo(text, py)
    return text[:500]


def _check_fraction(name: str, value: float) -> None:
    if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(
            f"The {name!r} parameter must be a float in [0, 1]. Got {value!r} instead."
        )


def make_conference(
    n_attendees: int,
    *,
    random_state: int | np.random.Generator | None = None,
    solo_fraction: float = 0.30,
    dinner_fraction: float = 0.55,
    first_time_fraction: float = 0.35,
    empty_profile_fraction: float = 0.05,
    freelancer_fraction: float = 0.08,
    empty_affiliation_fraction: float = 0.06,
    party_fraction: float = 0.85,
) -> list[Attendee]:
    """Draw a realistic synthetic conference.

    Company sizes are heavy-tailed (many one-to-three person companies, a few employers with
    dozens or, at 10k attendees, hundreds of people), employees type their company in
    different ways ("Acme Inc.", "ACME", "acme, inc") and some leave it empty so only their
    company e-mail tells; freelancers use free-mail addresses. Attendees who are not solo mostly
    belong to a party (a team from one company or friends, two to six people). Home towns
    follow a few big hubs and a long tail, languages follow home towns (most speak English,
    some do not), and profiles mix one to three topics of a broad taxonomy in many phrasings and
    lengths, with typos, lower-case, keyword lists, a few non-English texts and about 5% empty.

    Args:
        n_attendees: Number of attendees, >= 1.
        random_state: Seed or generator; the same seed gives the same conference.
        solo_fraction: Share of attendees who came alone (they have no party).
        dinner_fraction: Share who opt in to dinners.
        first_time_fraction: Share of first-timers.
        empty_profile_fraction: Share with an empty profile.
        freelancer_fraction: Share with no employer (free-mail address).
        empty_affiliation_fraction: Share of employees who leave the company field empty.
        party_fraction: Share of attendees who are not solo that registered with a party.

    Returns:
        The attendees, with ids "A00001", "A00002", ... in order.

    Example:
        >>> people = make_conference(500, random_state=0)
        >>> len(people), people[0].id
        (500, 'A00001')
        >>> sum(p.solo for p in people) / len(people)
        0.3
    """
    if not isinstance(n_attendees, int | np.integer) or isinstance(n_attendees, bool):
        raise ValueError(f"The 'n_attendees' parameter must be an int >= 1. Got {n_attendees!r}.")
    if n_attendees < 1:
        raise ValueError(
            f"The 'n_attendees' parameter must be an int >= 1. Got {n_attendees!r} instead."
        )
    for name, value in (
        ("solo_fraction", solo_fraction),
        ("dinner_fraction", dinner_fraction),
        ("first_time_fraction", first_time_fraction),
        ("empty_profile_fraction", empty_profile_fraction),
        ("freelancer_fraction", freelancer_fraction),
        ("empty_affiliation_fraction", empty_affiliation_fraction),
        ("party_fraction", party_fraction),
    ):
        _check_fraction(name, value)
    n = int(n_attendees)
    rng = np.random.default_rng(random_state)
    # Per-attendee string work runs on Python's generator (seeded from rng) for speed.
    py = random.Random(int(rng.integers(2**62)))

    city_weights = np.array([c[2] for c in _CITIES], dtype=float)
    city_weights /= city_weights.sum()
    topic_weights = np.array([t.popularity for t in _TOPIC_LIST], dtype=float)
    topic_weights /= topic_weights.sum()

    n_free = round(freelancer_fraction * n)
    sizes = _company_sizes(n - n_free, rng) if n - n_free > 0 else []
    # The biggest employers get the plainest names, as in life.
    by_size = sorted(range(len(sizes)), key=lambda c: -sizes[c])
    plain_first = _company_names(len(sizes), py)
    names = [""] * len(sizes)
    for rank, c in enumerate(by_size):
        names[c] = plain_first[rank]
    company_cities = rng.choice(len(_CITIES), size=len(sizes), p=city_weights)
    company_topics = rng.choice(len(_TOPIC_LIST), size=len(sizes), p=topic_weights)
    companies: list[_Company] = []
    uni_order = py.sample(range(len(_UNIVERSITIES)), k=len(_UNIVERSITIES))
    for i, (name, city) in enumerate(zip(names, company_cities.tolist(), strict=True)):
        language = _CITIES[city][1]
        # A handful of the mid-sized employers are universities.
        if uni_order and 3 <= sizes[i] <= 40 and py.random() < 0.05:
            uni, domain = _UNIVERSITIES[uni_order.pop()]
            companies.append(_Company(uni, "", domain, city, int(company_topics[i]), True))
            continue
        suffix = _pick(py, _SUFFIX_BY_LANGUAGE.get(language, ("Ltd", "Inc.", "GmbH")))
        tld = _pick(py, _TLD_BY_LANGUAGE.get(language, ("com", "io", "eu")))
        companies.append(
            _Company(name, suffix, f"{_slug(name)}.{tld}", city, int(company_topics[i]))
        )

    people: list[_Person] = []
    for c, size in enumerate(sizes):
        # Colleagues mostly come from the company's city; big employers are spread wider.
        local = 0.8 if size < 20 else 0.5
        for _ in range(size):
            people.append(_Person(c, companies[c].city))
            if py.random() > local:
                people[-1].city = -2  # drawn below
    people.extend(_Person(-1, -2) for _ in range(n_free))
    order = rng.permutation(n)
    people = [people[i] for i in order.tolist()]
    random_cities = rng.choice(len(_CITIES), size=n, p=city_weights).tolist()
    for i, p in enumerate(people):
        if p.city == -2:
            p.city = random_cities[i]

    # Solo attendees first; the rest form teams (same company) and groups of friends.
    n_solo = round(solo_fraction * n)
    solo_idx = rng.choice(n, size=n_solo, replace=False)
    for i in solo_idx.tolist():
        people[i].solo = True
    _assign_parties(people, party_fraction, py)

    first_time = rng.random(n) < first_time_fraction
    dinner = _dinner_choices(people, dinner_fraction, rng)
    empty_profile = rng.random(n) < empty_profile_fraction
    n_topics = rng.choice((1, 2, 3), size=n, p=(0.35, 0.45, 0.20))
    own_topics = rng.choice(len(_TOPIC_LIST), size=(n, 3), p=topic_weights)

    attendees: list[Attendee] = []
    for i, p in enumerate(people):
        city_name, language, _ = _CITIES[p.city]
        group = _NAME_GROUP.get(language, "Other")
        if py.random() < 0.15:
            group = _pick(py, _NAME_GROUPS)  # people move
        first, last = _pick(py, _FIRST[group]), _pick(py, _LAST[group])
        speaks_english = language == "English" or py.random() < _ENGLISH_RATE.get(language, 0.92)
        languages: list[str] = []
        if language != "English":
            languages.append(language)
        if speaks_english:
            languages.insert(0 if py.random() < 0.7 else len(languages), "English")
        if py.random() < 0.12:
            extra = _pick(py, _EXTRA_LANGUAGES)
            if extra not in languages:
                languages.append(extra)
        if py.random() < 0.04:
            languages = []

        if p.company >= 0:
            company = companies[p.company]
            email = _email(first, last, company.domain, py)
            affiliation = (
                ""
                if py.random() < empty_affiliation_fraction
                else _affiliation_variant(company, py)
            )
            topics = [int(x) for x in own_topics[i, : n_topics[i]]]
            if py.random() < 0.5:
                topics[0] = company.topic
        else:
            email = _email(first, last, _pick(py, _FREE_MAIL), py)
            affiliation = _pick(py, _NO_EMPLOYER_ANSWERS)
            topics = [int(x) for x in own_topics[i, : n_topics[i]]]
        topics = list(dict.fromkeys(topics))
        interests = (
            "" if empty_profile[i] else _profile(topics, city_name, language, speaks_english, py)
        )
        attendees.append(
            Attendee(
                id=f"A{i + 1:05d}",
                name=f"{first} {last}",
                email=email,
                affiliation=affiliation,
                interests=interests,
                hometown=city_name,
                languages=tuple(languages),
                solo=p.solo,
                party=p.party,
                dinner=bool(dinner[i]),
                first_time=bool(first_time[i]),
            )
        )
    return attendees


def _group_sizes(total: int, low: int, high: int, py: random.Random) -> list[int]:
    """Split ``total`` into group sizes in [low, high], smaller groups more likely."""
    sizes: list[int] = []
    weights = [1.0 / (s - low + 1) ** 1.2 for s in range(low, high + 1)]
    while total > 0:
        s = py.choices(range(low, high + 1), weights=weights)[0]
        if total - s < low and total - s != 0:
            s = total if total <= high else total - low
        sizes.append(s)
        total -= s
    return sizes


def _assign_parties(people: list[_Person], party_fraction: float, py: random.Random) -> None:
    members = [i for i, p in enumerate(people) if not p.solo and py.random() < party_fraction]
    by_company: dict[int, list[int]] = {}
    friends: list[int] = []
    for i in members:
        c = people[i].company
        # Two in three parties are teams of co-workers; the rest are friends.
        if c >= 0 and py.random() < 0.67:
            by_company.setdefault(c, []).append(i)
        else:
            friends.append(i)
    label = 0
    for company, group in by_company.items():
        if len(group) < 2:
            friends.extend(group)
            continue
        start = 0
        for s in _group_sizes(len(group), 2, 6, py):
            label += 1
            for i in group[start : start + s]:
                people[i].party = f"team-{company}-{label}"
            start += s
    py.shuffle(friends)
    if len(friends) == 1:
        return  # a lone would-be friend came without a party after all
    start = 0
    for s in _group_sizes(len(friends), 2, 5, py):
        label += 1
        for i in friends[start : start + s]:
            people[i].party = f"friends-{label}"
        start += s


def _dinner_choices(
    people: Sequence[_Person], fraction: float, rng: np.random.Generator
) -> np.ndarray:
    own = rng.random(len(people)) < fraction
    # Most parties decide together; the expected share stays ``fraction``.
    party_decision: dict[str, bool] = {}
    follows = rng.random(len(people)) < 0.7
    choice = own.copy()
    for i, p in enumerate(people):
        if p.party is not None and follows[i]:
            choice[i] = party_decision.setdefault(p.party, bool(rng.random() < fraction))
    return choice


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


_WORD = re.compile(r"[a-z0-9]+")
# Keywords as word tuples, so a profile is matched with a few dict look-ups per word rather
# than one regex alternative per keyword per position.
_KEYWORD_TOPICS: dict[tuple[str, ...], list[int]] = {}
for _t, _topic in enumerate(_TOPIC_LIST):
    for _kw in _topic.keywords:
        _KEYWORD_TOPICS.setdefault(tuple(_words(_kw)), []).append(_t)
_LONGEST_KEYWORD = max(len(k) for k in _KEYWORD_TOPICS)


def profile_topics(text: str) -> list[str]:
    """Name the taxonomy topics a profile mentions, by keyword, in order of first mention.

    Args:
        text: A free-text profile.

    Returns:
        Topic names from :data:`TOPICS`, without repeats.

    Example:
        >>> profile_topics("Backend developer. Mostly into Django and pytest.")
        ['web frameworks', 'testing']
    """
    seen: dict[str, None] = {}
    words = _words(text)
    i = 0
    while i < len(words):
        for span in range(min(_LONGEST_KEYWORD, len(words) - i), 0, -1):
            topics = _KEYWORD_TOPICS.get(tuple(words[i : i + span]))
            if topics is not None:
                for t in topics:
                    seen.setdefault(_TOPIC_LIST[t].name, None)
                i += span
                break
        else:
            i += 1
    return list(seen)


def make_embeddings_like(
    attendees: Sequence[Attendee],
    *,
    dimension: int = 384,
    random_state: int | np.random.Generator | None = None,
    noise: float = 0.8,
) -> np.ndarray:
    """Draw synthetic profile embeddings with a topic structure, without running a model.

    This is synthetic: no language model is involved. Each taxonomy topic gets a random
    direction (topics of one family, e.g. data science, machine learning and MLOps, share a
    component so they sit closer), every profile is the mixture of the topics its keywords
    mention plus a personal noise component, and rows are L2-normalised float32 like a real
    encoder's. Profiles that mention no topic (empty or junk) get only a small shared offset
    plus noise, so they are close to nobody in particular. Use it to benchmark the matcher at
    100k attendees where running the real model would take too long; use a real encoder
    wherever the content of the similarities matters.

    Args:
        attendees: The attendees, e.g. from :func:`make_conference`.
        dimension: Embedding width, >= 8.
        random_state: Seed or generator.
        noise: Weight of each profile's personal component relative to its topics.

    Returns:
        A float32 array of shape ``(len(attendees), dimension)`` with unit rows.

    Example:
        >>> people = make_conference(100, random_state=0)
        >>> make_embeddings_like(people, random_state=0).shape
        (100, 384)
    """
    if not isinstance(dimension, int) or dimension < 8:
        raise ValueError(
            f"The 'dimension' parameter must be an int >= 8. Got {dimension!r} instead."
        )
    rng = np.random.default_rng(random_state)
    n_topics = len(_TOPIC_LIST)
    families = sorted({t.family for t in _TOPIC_LIST})
    family_dirs = rng.standard_normal((len(families), dimension))
    topic_dirs = rng.standard_normal((n_topics, dimension))
    for t, topic in enumerate(_TOPIC_LIST):
        topic_dirs[t] += 0.8 * family_dirs[families.index(topic.family)]
    # A component every profile shares, as real sentence embeddings have one.
    common = rng.standard_normal(dimension)
    topic_dirs += 0.6 * common
    topic_dirs /= np.linalg.norm(topic_dirs, axis=1, keepdims=True)

    weights = np.zeros((len(attendees), n_topics))
    index = {t.name: i for i, t in enumerate(_TOPIC_LIST)}
    for row, attendee in enumerate(attendees):
        for rank, name in enumerate(profile_topics(attendee.interests)):
            # The first topic someone names is usually the one they care about most.
            weights[row, index[name]] += 1.0 / (1 + 0.5 * rank)
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    weights = np.divide(weights, norms, out=np.zeros_like(weights), where=norms > 0)
    vectors = weights @ topic_dirs
    vectors += 0.3 * common / np.linalg.norm(common)
    vectors += noise * rng.standard_normal((len(attendees), dimension)) / np.sqrt(dimension)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    out: np.ndarray = vectors.astype(np.float32)
    return out
