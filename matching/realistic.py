"""Realistic conference profiles: talk abstracts, speaker bios, one-liners, keyword lists.

:func:`matching.datasets.make_conference` writes short, tidy interest blurbs built around
keywords, which a sentence encoder separates easily. Real profiles are harder: people paste the
title and the start of their talk abstract, a third-person speaker bio, a line or two, a bare
list of tools or nothing at all; some write in German, French or Spanish, some make typos, some
type "n/a" or "TBD" into a mandatory box. :func:`make_profiles` writes such texts from
hand-made templates and vocabularies (no network, no downloaded data), from a few words up to
300 characters, and :func:`make_realistic_conference` puts them into a
:func:`~matching.datasets.make_conference` attendee list, each person writing about the topics
of their own generated profile (so colleagues still share interests). Both are deterministic
for a seed. Use them where the content of the texts matters (the encoder's decisions, the
quality of a plan scored with a real model); use :func:`~matching.datasets.make_conference`
where only structure does.

Example:
    >>> texts = make_profiles(400, random_state=0)
    >>> len(texts), max(len(t) for t in texts) <= 300
    (400, True)
    >>> texts == make_profiles(400, random_state=0)
    True
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from matching.datasets import make_conference, profile_topics
from matching.types import Attendee

__all__ = ["MAX_LENGTH", "PLACEHOLDERS", "make_profiles", "make_realistic_conference"]

_T = TypeVar("_T")

#: Longest profile written, in characters (the start of an abstract, as people paste it).
MAX_LENGTH = 300

#: What people type into a mandatory "interests" box when they have nothing to say yet. Some
#: are junk to :func:`matching.embeddings.is_blank_profile`, some ("Abstract coming soon") are
#: words a model embeds like any other text, as in real registrations.
PLACEHOLDERS: tuple[str, ...] = (
    "n/a", "N/A", "-", "--", "TBD", "tbd", "none", "None", "...", "?", "x", "TODO", "test",
    "nothing", "na", "-/-", "idk", "asdf", "Info requested", "to be announced", "TBA",
    "Abstract coming soon", "see website", "will fill in later", "no comment", "later",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Field:
    weight: float
    #: Tools and concepts, as people name them.
    terms: tuple[str, ...]
    #: What people build, run or study (noun phrases that read after "building").
    things: tuple[str, ...]
    #: What hurts (noun phrases that read after "struggling with").
    problems: tuple[str, ...]
    roles: tuple[str, ...]


# One entry per topic of matching.datasets.TOPICS (a test keeps them in step).
_FIELDS: dict[str, _Field] = {
    "web frameworks": _Field(
        10,
        ("Django", "Flask", "FastAPI", "HTMX", "Django REST framework", "GraphQL", "Wagtail",
         "Starlette", "Litestar", "Jinja templates", "server-side rendering", "Celery",
         "WebSockets", "OpenAPI", "Django admin", "Pydantic models", "ASGI", "WSGI"),
        ("REST APIs", "a multi-tenant SaaS", "a headless CMS", "server-rendered web apps",
         "an internal admin tool", "a booking platform", "public APIs", "a marketplace backend"),
        ("slow page loads", "N+1 queries", "API versioning", "session handling",
         "a monolith nobody dares to touch", "background jobs that silently fail"),
        ("backend developer", "web developer", "full-stack developer", "tech lead")),
    "data science": _Field(
        9,
        ("pandas", "Polars", "Jupyter", "DuckDB", "Matplotlib", "Plotly", "seaborn", "Streamlit",
         "statistics", "exploratory data analysis", "A/B testing", "dashboards", "Altair",
         "causal inference", "Bayesian statistics", "data visualisation", "notebooks"),
        ("dashboards", "reports for stakeholders", "customer analytics", "churn analyses",
         "data stories", "experimentation platforms", "KPI pipelines"),
        ("messy spreadsheets", "notebooks nobody can rerun", "misleading charts",
         "p-hacking", "data that does not fit in memory", "stakeholders who want one number"),
        ("data scientist", "data analyst", "analytics engineer", "BI developer")),
    "machine learning": _Field(
        9,
        ("PyTorch", "scikit-learn", "LLMs", "transformers", "NLP", "computer vision",
         "deep learning", "fine-tuning", "embeddings", "retrieval-augmented generation",
         "XGBoost", "recommender systems", "time series forecasting", "Hugging Face",
         "reinforcement learning", "vector search", "JAX", "prompt engineering"),
        ("recommendation engines", "chatbots", "image classifiers", "search ranking",
         "fraud detection models", "forecasting models", "document understanding pipelines"),
        ("hallucinations", "data drift", "label noise", "reproducing papers",
         "evaluating LLM output", "models that only work on the laptop"),
        ("ML engineer", "data scientist", "research engineer", "AI researcher")),
    "MLOps": _Field(
        5,
        ("MLOps", "MLflow", "Kubeflow", "feature stores", "model serving", "BentoML",
         "experiment tracking", "model monitoring", "DVC", "Weights & Biases", "Ray",
         "ONNX", "model registries", "Triton"),
        ("ML platforms", "training pipelines", "model deployment pipelines",
         "an internal feature store", "GPU clusters"),
        ("models stuck in notebooks", "training-serving skew", "GPU costs",
         "retraining by hand", "silent model decay"),
        ("ML platform engineer", "MLOps engineer", "data engineer")),
    "data engineering": _Field(
        6,
        ("Airflow", "dbt", "Spark", "Kafka", "Dagster", "Apache Arrow", "Prefect", "Parquet",
         "Delta Lake", "Apache Iceberg", "Snowflake", "BigQuery", "ETL", "streaming",
         "change data capture", "data contracts", "Flink"),
        ("data pipelines", "a lakehouse", "streaming pipelines", "a data warehouse",
         "ingestion jobs", "a data platform", "event-driven architectures"),
        ("late-arriving data", "schema changes upstream", "backfills", "data quality",
         "pipelines that break at 3 a.m.", "exploding cloud bills"),
        ("data engineer", "analytics engineer", "platform engineer")),
    "testing": _Field(
        6,
        ("pytest", "Hypothesis", "property-based testing", "TDD", "mutation testing",
         "Playwright", "test fixtures", "mocking", "tox", "nox", "snapshot testing",
         "contract testing", "coverage", "fuzzing", "end-to-end tests", "Selenium"),
        ("test suites", "CI pipelines", "test automation frameworks", "QA processes"),
        ("flaky tests", "slow test suites", "untestable legacy code", "over-mocking",
         "tests that pass but prove nothing"),
        ("QA engineer", "test automation engineer", "software engineer")),
    "packaging": _Field(
        4,
        ("packaging", "pip", "uv", "Poetry", "wheels", "PyPI", "conda", "pyproject.toml",
         "Hatch", "setuptools", "lock files", "virtual environments", "PDM", "pixi",
         "trusted publishing", "manylinux"),
        ("Python packages", "internal package indexes", "release pipelines",
         "reproducible builds", "cross-platform wheels"),
        ("dependency hell", "broken builds", "version conflicts", "binary extensions on Windows",
         "yanked releases"),
        ("tooling engineer", "release engineer", "open-source maintainer")),
    "async": _Field(
        4,
        ("asyncio", "trio", "AnyIO", "async/await", "event loops", "concurrency", "threads",
         "free-threaded Python", "structured concurrency", "aiohttp", "httpx", "uvloop",
         "task groups", "WebSockets"),
        ("async web services", "crawlers", "chat servers", "high-throughput APIs"),
        ("race conditions", "blocking calls in the event loop", "deadlocks",
         "cancellation bugs", "the GIL"),
        ("backend developer", "software engineer")),
    "typing": _Field(
        4,
        ("type hints", "mypy", "Pyright", "static typing", "Pydantic", "dataclasses",
         "Protocols", "generics", "TypedDict", "gradual typing", "attrs", "runtime validation",
         "beartype"),
        ("typed codebases", "type stubs", "typed APIs", "large refactorings"),
        ("Any everywhere", "untyped legacy code", "type checker false positives",
         "runtime type errors"),
        ("software engineer", "tooling engineer")),
    "security": _Field(
        4,
        ("security", "supply chain security", "OAuth", "OpenID Connect", "cryptography",
         "threat modelling", "SBOMs", "SAST", "secrets management", "penetration testing",
         "OWASP Top 10", "Sigstore", "zero trust", "CVE triage"),
        ("authentication systems", "security tooling", "secure CI pipelines",
         "vulnerability scanners", "audit trails"),
        ("leaked secrets", "dependency confusion", "typosquatting", "SQL injection",
         "phishing", "unpatched dependencies"),
        ("security engineer", "AppSec engineer", "pentester")),
    "education": _Field(
        4,
        ("teaching Python", "education", "Jupyter in the classroom", "mentoring",
         "curriculum design", "bootcamps", "teaching kids to code", "workshops",
         "live coding", "learning design", "MOOCs", "pair programming"),
        ("courses", "workshops for beginners", "university curricula", "coding clubs",
         "learning materials"),
        ("students who copy from ChatGPT", "motivating beginners", "grading at scale",
         "the gap between tutorials and real projects"),
        ("teacher", "lecturer", "trainer", "developer advocate")),
    "embedded": _Field(
        3,
        ("MicroPython", "CircuitPython", "Raspberry Pi", "ESP32", "Arduino", "IoT",
         "microcontrollers", "home automation", "Home Assistant", "robotics", "ROS",
         "sensors", "LoRaWAN", "firmware"),
        ("weather stations", "robots", "smart home setups", "hardware prototypes",
         "sensor networks"),
        ("tiny memory budgets", "flaky sensors", "power consumption", "debugging hardware"),
        ("embedded developer", "firmware engineer", "robotics engineer")),
    "scientific computing": _Field(
        5,
        ("NumPy", "SciPy", "simulations", "HPC", "bioinformatics", "astronomy",
         "climate models", "research software", "xarray", "Dask", "MPI", "Julia",
         "finite element methods", "Numba", "Fortran", "reproducible research"),
        ("simulation codes", "research software", "analysis pipelines for experiments",
         "climate model output", "telescope data pipelines"),
        ("code written for one paper", "irreproducible results", "cluster queues",
         "legacy Fortran"),
        ("research software engineer", "PhD student", "postdoc", "scientist")),
    "devops": _Field(
        6,
        ("Kubernetes", "Docker", "CI/CD", "Terraform", "Ansible", "observability",
         "OpenTelemetry", "GitHub Actions", "GitLab CI", "Helm", "Prometheus", "Grafana",
         "SRE", "infrastructure as code", "AWS", "serverless", "platform engineering"),
        ("deployment pipelines", "Kubernetes clusters", "internal developer platforms",
         "monitoring stacks", "cloud infrastructure"),
        ("alert fatigue", "snowflake servers", "slow deployments", "on-call burnout",
         "YAML sprawl", "cloud costs"),
        ("DevOps engineer", "SRE", "platform engineer", "cloud architect")),
    "databases": _Field(
        5,
        ("PostgreSQL", "SQLAlchemy", "SQL", "SQLite", "Redis", "MongoDB", "ORMs",
         "database migrations", "Alembic", "query optimisation", "indexes", "Elasticsearch",
         "full-text search", "ClickHouse", "pgvector", "replication"),
        ("database schemas", "search backends", "reporting databases", "data models"),
        ("slow queries", "lock contention", "zero-downtime migrations", "ORM magic",
         "connection pool exhaustion"),
        ("backend developer", "database engineer", "DBA")),
    "GIS": _Field(
        2,
        ("GIS", "GeoPandas", "QGIS", "Shapely", "PostGIS", "OpenStreetMap", "remote sensing",
         "satellite imagery", "rasterio", "geospatial data", "GDAL", "web maps"),
        ("maps", "routing services", "land-use models", "flood maps", "mobility analyses"),
        ("coordinate reference systems", "huge raster files", "messy address data"),
        ("GIS analyst", "geospatial developer", "earth observation scientist")),
    "community": _Field(
        4,
        ("community building", "meetups", "PyLadies", "diversity and inclusion",
         "codes of conduct", "Python user groups", "organising conferences", "Django Girls",
         "sprints", "volunteering", "PSF", "inclusive events"),
        ("local user groups", "conferences", "mentoring programmes", "online communities"),
        ("volunteer burnout", "finding speakers", "keeping newcomers", "sponsorship"),
        ("community manager", "developer advocate", "organiser")),
    "open source": _Field(
        5,
        ("open source", "CPython", "maintaining libraries", "open-source sustainability",
         "governance", "funding open source", "contributing to open source", "GitHub",
         "semantic versioning", "issue triage", "core development", "licensing"),
        ("open-source libraries", "contributor communities", "release processes",
         "project governance"),
        ("maintainer burnout", "unfunded maintenance", "hostile issue threads",
         "breaking changes"),
        ("open-source maintainer", "core developer", "software engineer")),
    "game dev": _Field(
        2,
        ("game development", "Pygame", "Godot", "procedural generation", "game jams",
         "Ren'Py", "Arcade", "pixel art", "shaders", "physics engines"),
        ("indie games", "visual novels", "roguelikes", "game prototypes"),
        ("game loops", "collision detection", "scope creep"),
        ("indie game developer", "hobbyist")),
    "CLI tools": _Field(
        3,
        ("CLI tools", "Typer", "Click", "Rich", "Textual", "argparse", "terminal apps",
         "automation scripts", "developer tooling", "shell scripting", "pre-commit hooks",
         "Ruff"),
        ("command-line tools", "internal developer tools", "TUIs", "code generators"),
        ("shell scripts that grew too big", "bad error messages", "cross-platform paths"),
        ("tooling engineer", "software engineer", "sysadmin")),
    "performance": _Field(
        4,
        ("performance", "Rust extensions", "PyO3", "Cython", "profiling", "Numba",
         "JIT compilers", "memory optimisation", "C extensions", "the GIL", "py-spy",
         "vectorisation", "SIMD", "benchmarking", "maturin"),
        ("fast Python libraries", "high-performance services", "profilers",
         "native extensions"),
        ("memory leaks", "slow Python loops", "latency spikes", "micro-benchmarks that lie"),
        ("performance engineer", "systems programmer", "software engineer")),
    "accessibility": _Field(
        2,
        ("accessibility", "a11y", "screen readers", "WCAG", "inclusive design",
         "assistive technology", "ARIA", "keyboard navigation", "colour contrast"),
        ("accessible web apps", "design systems", "accessible documentation"),
        ("inaccessible forms", "missing alt text", "accessibility as an afterthought"),
        ("frontend developer", "UX engineer")),
    "finance": _Field(
        3,
        ("fintech", "quantitative finance", "algorithmic trading", "risk models", "payments",
         "backtesting", "market data", "QuantLib", "regulatory reporting",
         "portfolio optimisation"),
        ("trading systems", "payment platforms", "risk engines", "pricing libraries"),
        ("regulators", "floating-point money", "latency", "audit requirements"),
        ("quant developer", "quant analyst")),
    "health": _Field(
        2,
        ("health tech", "medical imaging", "clinical data", "genomics", "epidemiology",
         "FHIR", "DICOM", "electronic health records", "drug discovery", "public health"),
        ("clinical decision support", "imaging pipelines", "patient data platforms",
         "genomics pipelines"),
        ("patient privacy", "messy clinical records", "validation for regulators"),
        ("health data scientist", "bioinformatician")),
    "frontend": _Field(
        3,
        ("PyScript", "WebAssembly", "Pyodide", "JavaScript interop", "design systems",
         "React", "TypeScript", "CSS", "Alpine.js", "web components", "Tailwind"),
        ("single-page apps", "interactive documentation", "browser-based tools",
         "component libraries"),
        ("JavaScript fatigue", "bundle sizes", "state management"),
        ("frontend developer", "full-stack developer")),
    "career": _Field(
        3,
        ("career change", "engineering management", "hiring", "remote work", "burnout",
         "technical writing", "documentation", "mentorship", "staff engineering",
         "public speaking", "imposter syndrome", "onboarding"),
        ("engineering teams", "career ladders", "documentation sites", "hiring processes"),
        ("burnout", "meetings", "the jump from senior to staff", "imposter syndrome",
         "legacy documentation"),
        ("engineering manager", "CTO", "team lead", "technical writer")),
}  # fmt: skip

_FIELD_LIST = tuple(_FIELDS.values())

_NAMES = (
    "Ana", "Ben", "Chiara", "Dmitri", "Elif", "Fatima", "Grace", "Hiro", "Ines", "Jonas",
    "Kasia", "Lars", "Maya", "Nikhil", "Olu", "Priya", "Quentin", "Rosa", "Sven", "Tomás",
    "Ursula", "Vikram", "Wen", "Ximena", "Yusuf", "Zoë", "Aoife", "Bruno", "Camille", "Daan",
    "Emeka", "Freya", "Giulia", "Hannah", "Ilya", "Jana", "Kofi", "Lena", "Mateo", "Noor",
)  # fmt: skip
_PRONOUNS = (("she", "her"), ("he", "his"), ("they", "their"))
_ORGS = (
    "a small startup", "a fintech startup", "a large bank", "an insurance company",
    "a university", "a research institute", "a consultancy", "an e-commerce company",
    "a non-profit", "a public-sector agency", "a hospital", "a logistics company",
    "a media company", "a telecom", "a game studio", "an energy company", "a car maker",
    "a SaaS company", "a national weather service", "a space agency", "a retail chain",
    "an open-source foundation", "a climate-tech startup", "a newspaper",
)  # fmt: skip
_CITIES = (
    "Berlin", "London", "Paris", "Amsterdam", "Munich", "Madrid", "Barcelona", "Lisbon",
    "Prague", "Warsaw", "Vienna", "Zurich", "Dublin", "Stockholm", "Milan", "Lyon", "Porto",
    "Kraków", "Leipzig", "Ghent", "Bristol", "Helsinki", "Athens", "Valencia", "Toronto",
)  # fmt: skip
_HOBBIES = (
    "climbs", "bakes sourdough", "runs trails", "plays chess badly", "collects vinyl",
    "brews beer", "keeps bees", "plays the cello", "sails", "knits", "paints miniatures",
    "cycles to work all year", "volunteers at a makerspace", "plays board games",
    "watches birds", "grows chillies", "plays football on Sundays", "does pottery",
)  # fmt: skip
_AUDIENCES = (
    "beginners", "data scientists", "web developers", "small teams", "researchers",
    "people coming from Java", "maintainers", "everyone else", "busy people", "managers",
)  # fmt: skip

_TITLES = (
    "{T1} in production: lessons learned", "From {t1} to {t2}: a migration story",
    "Taming {problem}", "What I wish I knew about {t1}", "{T1} for {audience}",
    "Demystifying {t1}", "A practical guide to {t1}", "How we built {thing} with {t1}",
    "Building {thing} with {t1} and {t2}", "The hidden cost of {problem}",
    "Beyond {t1}: what comes next", "{T1}, the good parts", "Stop fighting {problem}",
    "{T1} at scale", "Five years of {t1}", "Lessons from {thing}", "Why your {t1} is slow",
    "{T1} meets {t2}", "Don't panic: {t1} explained", "Rethinking {thing}",
    "{T1} without tears", "Zero to {t1} in 30 minutes",
    "Everything you never wanted to know about {t1}", "When {t1} is not enough",
    "Scaling {thing}", "Testing {thing}",
    "Modern {t1}", "Inside {t1}", "A tour of {t1}", "Small {thing}, big impact",
    "Fixing {problem} for good", "{T1} and {t2}: a love story",
    "Practical {t1} for {audience}", "Our journey with {t1}", "Is {t1} worth it?",
)  # fmt: skip
_OPENINGS = (
    "In this talk I will show how we use {t1} to build {thing}.",
    "{T1} is everywhere, but {problem} still catch most teams by surprise.",
    "Many teams struggle with {problem}.", "We'll walk through a real project built on {t1}.",
    "At {org} we moved {thing} to {t1} last year.",
    "This tutorial introduces {t1} with hands-on exercises.",
    "Have you ever fought {problem}? So have we.",
    "{T1} promises a lot, but what does it look like in practice?",
    "This talk tells the story of {thing} at {org}.",
    "You will learn how {t1} and {t2} fit together.",
    "When our {thing} hit its limits, we turned to {t1}.",
    "I spent the last year replacing our home-grown tooling with {t1}.",
    "This session is a gentle introduction to {t1} for {audience}.",
    "Most material on {t1} stops at hello world.",
    "We will look at {problem} and how {t1} helps.",
    "{Thing} are hard to get right.",
)  # fmt: skip
_FOLLOWS = (
    "We'll cover {t2}, {t3} and the mistakes we made along the way.",
    "You'll leave with patterns you can apply on Monday.",
    "Along the way we will touch on {t2} and {t3}.",
    "I'll show code, benchmarks and a few war stories.",
    "No prior experience with {t2} is needed.",
    "We'll also discuss {problem2} and how to avoid it.",
    "The talk ends with a live demo using {t2}.",
    "Expect real numbers from production and honest trade-offs.",
    "Basic Python knowledge is assumed; everything else is explained.",
    "We compare {t2} with {t3} and explain when each one fits.",
    "The examples come from {thing2} we run every day.",
    "Finally, we look at what is coming next in {t1}.",
)  # fmt: skip
_BIOS = (
    "{Name} is {a_role} at {org} in {city}, where {pron} works on {thing} with {t1}.",
    "{Name} is {a_role} who has spent {years} years building {thing}.",
    "{Name} works as {a_role} at {org}. {Pron2} day job involves {t1} and {t2}.",
    "{Name} has been writing Python since {year} and now leads the {t1} work at {org}.",
    "{Name} is {a_role} and {t1} contributor based in {city}.",
    "Before becoming {a_role}, {name} was {a_role2}. These days {pron} mostly does {t1}.",
    "{Name} helps teams at {org} with {t1}, {t2} and {problem}.",
    "{Name} is {a_role} at {org}, obsessed with {t1} and fighting {problem}.",
    "{Name} teaches {t1} and maintains a small library for {t2}.",
)  # fmt: skip
_FIRST_PERSON_BIOS = (
    "I'm {a_role} at {org} in {city}. I work on {thing} using {t1} and {t2}.",
    "{Role} with {years} years of experience in {t1}. Currently building {thing}.",
    "I build {thing} at {org}. Before that I was {a_role2}.",
    "Self-taught {role}, mostly {t1} and {t2}. I care about {problem}.",
    "PhD in something unrelated, now a {role} doing {t1} at {org}.",
    "{Role} at {org}. I spend my days on {thing} and my nights on {t2}.",
)  # fmt: skip
_BIO_TAILS = (
    "In {poss} free time {pron} {hobby}.", "Outside work {pron} {hobby}.",
    "{Pron} also co-organises the local Python meetup.", "{Pron} speaks at meetups about {t2}.",
    "{Pron} {hobby} when not at the keyboard.",
)  # fmt: skip
_LINES = (
    "Interested in {t1} and {t2}.", "Mostly {t1} these days, some {t2}.",
    "Looking for people who use {t1} in production.", "Happy to chat about {t1}!",
    "Trying to get better at {t1}.", "Struggling with {problem}, send help.",
    "Would love to talk {t1}, {t2} or {problem}.", "I build {thing} with {t1}.",
    "Want to learn more about {t2}; I know {t1} well.", "{T1} at work, {t2} for fun.",
    "{Role} here. Ask me about {t1}.", "Curious how others handle {problem}.",
    "New to {t1}, coming from {t2}.", "Keen to swap stories about {thing}.",
    "Hiring {role}s who like {t1}!", "{T1} + {t2} = ❤️", "First PyCon! Into {t1}.",
    "Anything {t1}.", "{T1}, {t2}. Coffee.", "Currently migrating {thing} to {t1}.",
)  # fmt: skip
_JOINERS = (", ", ", ", " / ", "; ", " · ", " + ", " and ")

# Technical terms stay in English, as people write them; the glue is translated.
_FOREIGN: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "German": (
        ("{T1} in der Praxis: Erfahrungen aus {jahre} Jahren. In diesem Vortrag zeige ich, wie "
         "wir {t1} und {t2} einsetzen und welche Fehler wir gemacht haben.",
         "Von {t1} zu {t2}: eine Migrationsgeschichte. Wir berichten, warum wir gewechselt "
         "haben und was wir dabei gelernt haben.",
         "Schneller entwickeln mit {t1}. Der Vortrag richtet sich an Einsteiger*innen und "
         "zeigt an Beispielen aus dem Alltag, wie {t2} dabei hilft.",
         "Wie wir {t1} bei uns im Team eingeführt haben, und warum {t2} dabei wichtiger war "
         "als gedacht."),
        ("{Name} arbeitet als Entwickler*in bei {firma} und beschäftigt sich vor allem mit "
         "{t1} und {t2}.", "Ich interessiere mich für {t1}, {t2} und alles rund um {t3}.",
         "Hauptsächlich {t1}, privat auch {t2}. Gerne Austausch!",
         "Softwareentwicklerin aus {stadt}, Schwerpunkt {t1}.")),
    "French": (
        ("{T1} en production : retour d'expérience. Dans ce talk, je montre comment nous "
         "utilisons {t1} et {t2} au quotidien.",
         "De {t1} à {t2} : l'histoire d'une migration, des erreurs commises et des leçons "
         "apprises en chemin.",
         "Introduction pratique à {t1} pour les débutants, avec des exemples concrets autour "
         "de {t2}.",
         "Comment nous avons accéléré nos projets grâce à {t1} et pourquoi {t2} a tout "
         "changé."),
        ("{Name} est développeur·se chez {firma} et travaille principalement sur {t1}.",
         "Je travaille surtout avec {t1} et je m'intéresse à {t2}.",
         "Passionné(e) par {t1}. Toujours partant(e) pour discuter de {t2} !",
         "Data scientist à {stadt}, curieuse de {t1} et {t2}.")),
    "Spanish": (
        ("{T1} en producción: lecciones aprendidas. En esta charla explico cómo usamos {t1} "
         "y {t2} y qué errores cometimos.",
         "De {t1} a {t2}: historia de una migración y lo que aprendimos por el camino.",
         "Introducción práctica a {t1} para principiantes, con ejemplos reales de {t2}.",
         "Cómo escalamos nuestro equipo con {t1} sin morir en el intento."),
        ("{Name} es desarrollador/a en {firma} y trabaja sobre todo con {t1} y {t2}.",
         "Trabajo con {t1} y me interesa mucho {t2}.", "Me encanta {t1}. ¡Hablemos de {t2}!",
         "Ingeniera de datos en {stadt}. {T1}, {t2} y café.")),
    "Italian": (
        ("{T1} in produzione: cosa abbiamo imparato. In questo talk racconto come usiamo {t1} "
         "e {t2} ogni giorno.",
         "Da {t1} a {t2}: storia di una migrazione, con errori e lezioni imparate."),
        ("{Name} lavora come sviluppatore presso {firma} e si occupa di {t1}.",
         "Lavoro con {t1} e mi interessa {t2}.", "Appassionato/a di {t1} e {t2}.")),
    "Portuguese": (
        ("{T1} em produção: lições aprendidas. Nesta palestra mostro como usamos {t1} e {t2} "
         "no dia a dia.",
         "De {t1} para {t2}: a história de uma migração e o que aprendemos."),
        ("{Name} é desenvolvedor(a) em {firma} e trabalha principalmente com {t1}.",
         "Trabalho com {t1} e tenho interesse em {t2}.", "Apaixonado(a) por {t1} e {t2}.")),
    "Dutch": (
        ("{T1} in productie: wat we geleerd hebben. In deze talk laat ik zien hoe we {t1} en "
         "{t2} gebruiken.",),
        ("Ik werk met {t1} en ben benieuwd naar {t2}.",
         "{Name} is ontwikkelaar bij {firma} en houdt zich bezig met {t1}.")),
    "Polish": (
        ("{T1} na produkcji: czego się nauczyliśmy. W tej prezentacji pokażę, jak używamy "
         "{t1} i {t2}.",),
        ("Pracuję z {t1}, interesuje mnie {t2}.",)),
}  # fmt: skip
# Where people work, in the phrase each language's bio templates expect after "{firma}".
_FOREIGN_FIRMS: dict[str, tuple[str, ...]] = {
    "German": ("einem Start-up", "einer Versicherung", "einer Agentur", "der Uni", "einer Bank"),
    "French": ("une PME", "une start-up", "une banque", "un labo de recherche"),
    "Spanish": ("una consultora", "una startup", "un banco", "la universidad"),
    "Italian": ("una startup", "una banca", "un'agenzia"),
    "Portuguese": ("uma startup", "um banco", "uma consultoria"),
    "Dutch": ("een bureau", "een bank", "de gemeente"),
}

# Letters next to each other on a QWERTY keyboard, for fat-finger typos.
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row_index, _row in enumerate(_KEYBOARD):
    for _col, _key in enumerate(_row):
        _near = _row[max(0, _col - 1) : _col] + _row[_col + 1 : _col + 2]
        for _other in (_row_index - 1, _row_index + 1):
            if 0 <= _other < len(_KEYBOARD):
                _near += _KEYBOARD[_other][max(0, _col - 1) : _col + 1]
        _NEIGHBOURS[_key] = _near


def _pick(py: random.Random, seq: Sequence[_T]) -> _T:
    return seq[int(py.random() * len(seq))]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _typos(text: str, py: random.Random) -> str:
    """One to three slips of the keyboard: a swapped, dropped, doubled or neighbouring key."""
    chars = list(text)
    for _ in range(py.randint(1, 3)):
        if len(chars) < 6:
            break
        i = py.randrange(1, len(chars) - 2)
        kind = py.random()
        if kind < 0.3:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif kind < 0.55:
            del chars[i]
        elif kind < 0.7:
            chars.insert(i, chars[i])
        else:
            near = _NEIGHBOURS.get(chars[i].lower())
            if near:
                chars[i] = _pick(py, near)
    return "".join(chars)


_THEY_VERB = re.compile(r"\b([Tt]hey(?: also| mostly)?) ([a-z-]+)")


def _plural_verb(match: re.Match[str]) -> str:
    """ "they works" -> "they work", "they does" -> "they do", "they watches" -> "they watch"."""
    verb = match.group(2)
    if verb in ("does", "goes") or verb.endswith(("ches", "shes", "sses")):
        verb = verb[:-2]
    elif verb.endswith("s"):
        verb = verb[:-1]
    return f"{match.group(1)} {verb}"


def _cut(text: str, limit: int) -> str:
    """The first ``limit`` characters or fewer, ending at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    space = head.rfind(" ")
    head = head[:space] if space > limit // 2 else text[:limit]
    return head.rstrip(" ,;:-")


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: "a tech lead", "an SRE", "an ML engineer"."""
    acronym = noun[:2].isupper()
    vowel_sound = noun[0] in "AEFHILMNORSX" if acronym else noun[0].lower() in "aeiou"
    return f"{'an' if vowel_sound else 'a'} {noun}"


def _fill(template: str, values: dict[str, Any]) -> str:
    return template.format(**values)


def _values(fields: Sequence[_Field], py: random.Random) -> dict[str, Any]:
    main = fields[0]
    other = fields[1] if len(fields) > 1 else main
    third = fields[2] if len(fields) > 2 else _pick(py, fields)
    terms = list(dict.fromkeys([_pick(py, main.terms), _pick(py, other.terms)]))
    while len(terms) < 3:
        term = _pick(py, _pick(py, (main, other, third)).terms)
        if term not in terms:
            terms.append(term)
    thing = _pick(py, main.things)
    name = _pick(py, _NAMES)
    pron, poss = _pick(py, _PRONOUNS)
    role = _pick(py, main.roles)
    role2 = _pick(py, _pick(py, _FIELD_LIST).roles)
    return {
        "t1": terms[0], "T1": _cap(terms[0]), "t2": terms[1], "t3": terms[2],
        "thing": thing, "Thing": _cap(thing), "thing2": _pick(py, other.things),
        "problem": _pick(py, main.problems), "problem2": _pick(py, other.problems),
        "role": role, "Role": _cap(role), "role2": role2,
        "a_role": _a(role), "a_role2": _a(role2),
        "org": _pick(py, _ORGS), "city": _pick(py, _CITIES), "audience": _pick(py, _AUDIENCES),
        "years": py.randint(2, 25), "year": py.randint(1998, 2022),
        "name": name, "Name": name, "pron": pron, "Pron": _cap(pron), "poss": poss,
        "Pron2": _cap(poss), "hobby": _pick(py, _HOBBIES),
        "jahre": py.randint(2, 15), "stadt": _pick(py, _CITIES),
    }  # fmt: skip


def _talk(values: dict[str, Any], py: random.Random) -> str:
    title = _fill(_pick(py, _TITLES), values)
    parts = [_fill(_pick(py, _OPENINGS), values)]
    for template in py.sample(_FOLLOWS, k=3):
        parts.append(_fill(template, values))
    separator = _pick(py, (". ", ": ", " - ", "\n", ". "))
    # The title and the start of the abstract, the way people paste it into a form.
    return _cut(title + separator + " ".join(parts), py.randint(150, MAX_LENGTH))


def _bio(values: dict[str, Any], py: random.Random) -> str:
    if py.random() < 0.35:
        text = _fill(_pick(py, _FIRST_PERSON_BIOS), values)
        if py.random() < 0.5:
            text += " " + _fill(_pick(py, _LINES), values)
    else:
        text = _fill(_pick(py, _BIOS), values)
        if py.random() < 0.7:
            text += " " + _fill(_pick(py, _BIO_TAILS), values)
        if values["pron"] == "they":
            text = _THEY_VERB.sub(_plural_verb, text)
    return _cut(text, py.randint(80, MAX_LENGTH))


def _line(values: dict[str, Any], py: random.Random) -> str:
    text = _fill(_pick(py, _LINES), values)
    if py.random() < 0.3:
        text += " " + _fill(_pick(py, _LINES), values)
    return _cut(text, MAX_LENGTH)


def _keywords(fields: Sequence[_Field], py: random.Random) -> str:
    count = _pick(py, (1, 1, 2, 2, 3, 3, 4, 5, 6))
    pool = [t for f in fields for t in f.terms]
    words = list(dict.fromkeys(_pick(py, pool) for _ in range(count)))
    if py.random() < 0.3:
        words = [w.lower() for w in words]
    return _cut(_pick(py, _JOINERS).join(words), MAX_LENGTH)


def _foreign(language: str, values: dict[str, Any], py: random.Random) -> str:
    talks, bios = _FOREIGN[language]
    values = {**values, "firma": _pick(py, _FOREIGN_FIRMS.get(language, ("",)))}
    if py.random() < 0.45:
        return _cut(_fill(_pick(py, talks), values), py.randint(150, MAX_LENGTH))
    return _cut(_fill(_pick(py, bios), values), MAX_LENGTH)


def _blank(py: random.Random) -> str:
    return "" if py.random() < 0.4 else _pick(py, PLACEHOLDERS)


def _profile(
    topics: Sequence[str],
    py: random.Random,
    *,
    language: str | None,
    foreign: float,
    typo_fraction: float,
) -> str:
    """One profile about ``topics`` (the first matters most), possibly in ``language``."""
    fields = [_FIELDS[t] for t in topics]
    values = _values(fields, py)
    if language in _FOREIGN and py.random() < foreign:
        text = _foreign(language, values, py)
    else:
        style = py.random()
        if style < 0.40:
            text = _talk(values, py)
        elif style < 0.65:
            text = _bio(values, py)
        elif style < 0.85:
            text = _line(values, py)
        else:
            text = _keywords(fields, py)
    if py.random() < 0.05:
        text = text.lower()
    if py.random() < typo_fraction:
        text = _typos(text, py)
    return text


def _check_fraction(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(
            f"The {name!r} parameter must be a float in [0, 1]. Got {value!r} instead."
        )


def _check_count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"The 'n_attendees' parameter must be an int >= 1. Got {n!r} instead.")
    return int(n)


def _draw_topics(py: random.Random) -> list[str]:
    names = list(_FIELDS)
    weights = [f.weight for f in _FIELDS.values()]
    count = py.choices((1, 2, 3), weights=(0.35, 0.45, 0.20))[0]
    return list(dict.fromkeys(py.choices(names, weights=weights, k=count)))


def make_profiles(
    n_attendees: int,
    *,
    random_state: int | np.random.Generator | None = None,
    blank_fraction: float = 0.05,
    foreign_fraction: float = 0.10,
    typo_fraction: float = 0.12,
) -> list[str]:
    """Write ``n_attendees`` realistic profile texts, one to three topics each.

    About 40% are a talk title with the start of its abstract (150 to 300 characters), 25% a
    speaker bio (third or first person), 20% one or two lines, 15% a bare list of one to six
    tools; ``foreign_fraction`` are written in German, French, Spanish, Italian, Portuguese,
    Dutch or Polish (technical terms in English, as people write them); ``typo_fraction`` have
    one to three typos and one in twenty is lower-case; ``blank_fraction`` are empty or a
    placeholder (:data:`PLACEHOLDERS`).

    Args:
        n_attendees: Number of profiles, >= 1.
        random_state: Seed or generator; the same seed gives the same texts.
        blank_fraction: Share of empty and placeholder profiles.
        foreign_fraction: Share written in a language other than English.
        typo_fraction: Share with typos (a swapped, dropped, doubled or neighbouring key).

    Returns:
        The texts, at most :data:`MAX_LENGTH` characters each.

    Example:
        >>> make_profiles(3, random_state=1) == make_profiles(3, random_state=1)
        True
    """
    n = _check_count(n_attendees)
    _check_fraction("blank_fraction", blank_fraction)
    _check_fraction("foreign_fraction", foreign_fraction)
    _check_fraction("typo_fraction", typo_fraction)
    rng = np.random.default_rng(random_state)
    py = random.Random(int(rng.integers(2**62)))
    languages = tuple(_FOREIGN)
    out: list[str] = []
    for _ in range(n):
        if py.random() < blank_fraction:
            out.append(_blank(py))
            continue
        language = _pick(py, languages) if py.random() < foreign_fraction else None
        topics = _draw_topics(py)
        out.append(
            _profile(topics, py, language=language, foreign=1.0, typo_fraction=typo_fraction)
        )
    return out


def make_realistic_conference(
    n_attendees: int,
    *,
    random_state: int | np.random.Generator | None = None,
    foreign_fraction: float = 0.10,
    typo_fraction: float = 0.12,
    **conference: Any,
) -> list[Attendee]:
    """Draw a :func:`~matching.datasets.make_conference` conference with realistic profiles.

    Everything but the profiles is ``make_conference``'s (companies, parties, solo attendees,
    dinner opt-ins, home towns, languages). Each person writes, in one of the styles of
    :func:`make_profiles`, about the topics their generated profile named, so colleagues who
    shared topics still do; people who left it empty get an empty or placeholder profile.
    People who do not speak English write in their own language when templates for it exist,
    and ``foreign_fraction`` of those who do write in their first other language.

    Args:
        n_attendees: Number of attendees, >= 1.
        random_state: Seed or generator; the same seed gives the same conference.
        foreign_fraction: Share of multilingual attendees writing in their other language.
        typo_fraction: Share of profiles with typos.
        **conference: Further keyword arguments for ``make_conference`` (e.g.
            ``empty_profile_fraction``).

    Returns:
        The attendees, ids and order as ``make_conference`` gives them.

    Example:
        >>> people = make_realistic_conference(200, random_state=0)
        >>> len(people), all(len(p.interests) <= 300 for p in people)
        (200, True)
    """
    _check_fraction("foreign_fraction", foreign_fraction)
    _check_fraction("typo_fraction", typo_fraction)
    rng = np.random.default_rng(random_state)
    people = make_conference(_check_count(n_attendees), random_state=rng, **conference)
    py = random.Random(int(rng.integers(2**62)))
    out: list[Attendee] = []
    for person in people:
        if not person.interests:
            out.append(dataclasses.replace(person, interests=_blank(py)))
            continue
        topics = profile_topics(person.interests) or _draw_topics(py)
        own = [lang for lang in person.languages if lang != "English"]
        language = own[0] if own else None
        # Those without English always write in their own language; others sometimes do.
        share = 1.0 if "English" not in person.languages else foreign_fraction
        text = _profile(topics, py, language=language, foreign=share, typo_fraction=typo_fraction)
        out.append(dataclasses.replace(person, interests=text))
    return out
