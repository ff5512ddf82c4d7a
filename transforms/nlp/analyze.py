"""The pure NLP entry point: one parsed Doc in, its entities, mentions and events out."""

from __future__ import annotations

from datetime import date

from spacy.tokens import Doc

from transforms.nlp.entities import resolve_entities
from transforms.nlp.events import Lexicon, extract_events
from transforms.records import DocAnalysis


def analyze_doc(doc: Doc, published: date | None, lexicon: Lexicon) -> DocAnalysis:
    """Analyse one article body parsed by the newsduck pipeline (flows.nlp.load_pipeline).

    Args:
        doc: the parsed body.
        published: the article's publish date, the anchor for relative dates ("on Thursday").
        lexicon: the event lexicon (transforms.nlp.events.parse_lexicon).

    Returns:
        Entities (one per referent), mentions in document order, and typed events.
    """
    resolved = resolve_entities(doc)
    events = extract_events(doc, resolved, published, lexicon)
    return DocAnalysis(resolved.entities, resolved.mentions, events)
