"""The pure NLP entry point: one parsed Doc in, its entities, mentions and events out."""

from __future__ import annotations

from datetime import date

from spacy.tokens import Doc

from transforms.coding.actors import ActorDictionary, code_actors
from transforms.coding.geo import GeoIndex, geocode_analysis
from transforms.coding.scales import Scales, score_analysis
from transforms.nlp.entities import resolve_entities
from transforms.nlp.events import Lexicon, extract_events
from transforms.records import DocAnalysis


def analyze_doc(doc: Doc, published: date | None, lexicon: Lexicon,
                actors: ActorDictionary | None = None, geo: GeoIndex | None = None,
                scales: Scales | None = None) -> DocAnalysis:
    """Analyse one article body parsed by the newsduck pipeline (flows.nlp.load_pipeline).

    Args:
        doc: the parsed body.
        published: the article's publish date, the anchor for relative dates ("on Thursday").
        lexicon: the event lexicon (transforms.nlp.events.parse_lexicon).
        actors: the actor dictionary (transforms.coding.actors.parse_actor_seed); when given,
            entities and the actors/targets of events get a country, role and CAMEO code.
        geo: the GeoNames index (flows.geodata.load_geo_index); when given, place entities get
            their GeoNames feature, events their action place, the analysis its focus country.
        scales: the Goldstein table and a tone scorer; when given, events get their Goldstein
            value and tone, the analysis its tone.

    Returns:
        Entities (one per referent), mentions in document order, and typed events.
    """
    resolved = resolve_entities(doc)
    events = extract_events(doc, resolved, published, lexicon)
    entities = resolved.entities
    if actors is not None:
        entities, events = code_actors(doc, resolved, events, published, actors)
    analysis = DocAnalysis(entities, resolved.mentions, events)
    if geo is not None:
        analysis = geocode_analysis(analysis, resolved.kind, geo, resolved.of_name)
    if scales is not None:
        analysis = score_analysis(doc, analysis, scales)
    return analysis
