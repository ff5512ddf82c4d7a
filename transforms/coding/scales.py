"""Numeric scales of events and articles (pure): the Goldstein value of a CAMEO event code, and
tone, GDELT's AvgTone analogue, from a lexicon sentiment scorer (VADER) handed in by flows/."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from spacy.tokens import Doc

from transforms.records import DocAnalysis


class ToneScorer(Protocol):
    """What tone needs of a scorer: VADER's SentimentIntensityAnalyzer."""

    def polarity_scores(self, text: str) -> Mapping[str, float]: ...


def parse_goldstein(rows: Iterable[tuple[str, str]]) -> dict[str, float]:
    """The scale from (CAMEO code, value) rows (seeds/cameo_goldstein.tsv)."""
    return {code.strip(): float(value) for code, value in rows if code.strip()}


def goldstein(cameo_code: str, scale: Mapping[str, float]) -> float | None:
    """The code's Goldstein value, or its nearest listed parent's ("0357" -> "035" -> "03");
    None for a code the scale does not know."""
    code = (cameo_code or "").strip()
    while len(code) >= 2:
        if code in scale:
            return scale[code]
        code = code[:-1]
    return None


def tone(texts: Sequence[str], scorer: ToneScorer) -> float | None:
    """The mean compound polarity of the texts (sentences), scaled to -100 (negative) .. +100
    (positive) like GDELT's AvgTone; None when there is no text to score."""
    scores = [scorer.polarity_scores(text)["compound"] for text in texts if text and text.strip()]
    if not scores:
        return None
    return round(100 * sum(scores) / len(scores), 2)


@dataclass(frozen=True)
class Scales:
    """What scoring needs: the Goldstein table and a tone scorer (both loaded by flows/nlp.py)."""

    goldstein: Mapping[str, float]
    scorer: ToneScorer


def score_analysis(doc: Doc, analysis: DocAnalysis, scales: Scales) -> DocAnalysis:
    """The analysis with each event's Goldstein value and tone (its sentence's), and the
    article's tone (the mean over its sentences)."""
    sentences = [s.text for s in doc.sents]
    text = doc.text  # once: Doc.text is rebuilt on every call
    by_span: dict[tuple[int, int], float | None] = {}
    events = []
    for event in analysis.events:
        span = (event.start, event.end)
        if span not in by_span:
            by_span[span] = tone([text[event.start:event.end]], scales.scorer)
        events.append(replace(event, goldstein=goldstein(event.cameo_code or event.cameo_root, scales.goldstein),
                              tone=by_span[span]))
    return replace(analysis, events=tuple(events), tone=tone(sentences, scales.scorer))
