"""The generated PETRARCH2 event lexicon: its generator (on a dictionary written here in
PETRARCH's format), the committed file, and the loader that lays the hand rows over it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import flows.nlp
from flows.nlp import GENERATED_LEXICON_PATH, LEXICON_PATH, nlp_version, read_lexicon
from flows.settings import Settings
from transforms.nlp.analyze import analyze_doc
from transforms.nlp.lexicon import PLOVER_TYPES, parse_lexicon, quad_class

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# A small verb dictionary in CAMEO.2.0.txt's format, and a CAMEO -> PLOVER table in OEDA's.
DICTIONARY = """# a comment
####### SYNONYM SETS #######

&DETENTION
+DETENTION
+JAIL
+CONCENTRATION_CAMP

&AUXVERB2_
+WILL
+WOULD

####### VERB PATTERNS #######

---  ARRANGE   [---]  ---
PLACE
PUT {PUTS PUTTING }
- * (IN &DETENTION)                                  [173]         # PLACE
- * STATEMENT                                        [010]         # PUT
- &AUXVERB2_ * (ON ALERT)                            [:152]        # PUT

---  EXCLUDE   [170]  ---
+CORDON_OFF
BAR {BARS BARRED BARRING } [172]
THINK
- * ENTRY                                            [191]         # BAR

######## TRANSFORMATIONS ##########
~ a (a b ATTACK) SAY = a b 015
"""
TABLE = """# CAMEO to PLOVER
17: COERCE
170: COERCE, , # Coerce
172: COERCE, restrict, executive # Impose administrative sanctions
173: COERCE, arrest, legal # Arrest
191: COERCE, restrict, military # Impose blockade
"""


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("make_event_lexicon", SEEDS / "make_event_lexicon.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(generator, tmp_path_factory):
    folder = tmp_path_factory.mktemp("petrarch")
    (folder / "CAMEO.txt").write_text(DICTIONARY, encoding="utf-8")
    (folder / "table.txt").write_text(TABLE, encoding="utf-8")
    return generator.generate(folder / "CAMEO.txt", folder / "table.txt")


def test_generator_reads_verbs_patterns_and_codes(generated):
    records, unexpressed, _notes = generated
    verbs = {(r["verb"], tuple(r["after"])): r for r in records if r["kind"] == "verb"}
    assert (verbs[("place", ())]["code"], verbs[("put", ())]["code"]) == ("", "")  # [---]
    assert {k: verbs[("cordon", ("off",))][k] for k in ("code", "event_type", "quad_class")} == {
        "code": "170", "event_type": "COERCE", "quad_class": 4}
    assert verbs[("bar", ())]["code"] == "172"  # its own code beats the block's
    assert verbs[("think", ())]["bare"] is False and verbs[("bar", ())]["bare"] is True
    patterns = [r for r in records if r["kind"] == "pattern"]
    detention = next(p for p in patterns if p["code"] == "173")
    assert detention["preps"] == [{"prep": "in", "nouns": ["&DETENTION"], "role": ""}]
    statement = next(p for p in patterns if p["words"] == ["statement"])
    assert (statement["code"], statement["event_type"]) == ("010", "")  # no PLOVER type
    synset = next(r for r in records if r["kind"] == "synset" and r["name"] == "DETENTION")
    assert synset["members"] == ["detention", "jail", "concentration camp"]
    # what PETRARCH says that a dependency pattern cannot: counted, not dropped silently
    assert unexpressed["transformation rules (reported speech, intent)"] == 1
    assert unexpressed["patterns with only a reverse code ([:CODE])"] == 1
    assert records[0]["counts"]["not_expressed"] == dict(sorted(unexpressed.items()))


def test_generator_is_deterministic(generator, generated, tmp_path):
    (tmp_path / "CAMEO.txt").write_text(DICTIONARY, encoding="utf-8")
    (tmp_path / "table.txt").write_text(TABLE, encoding="utf-8")
    again, _, _ = generator.generate(tmp_path / "CAMEO.txt", tmp_path / "table.txt")
    assert json.dumps(again, sort_keys=True) == json.dumps(generated[0], sort_keys=True)


def test_generated_patterns_match_on_the_parse(nlp, generated):
    lexicon = parse_lexicon([], generated[0])

    def events(text: str) -> list[tuple[str, str, str]]:
        return [(e.event_type, e.cameo_code, e.trigger)
                for e in analyze_doc(nlp(text), None, lexicon).events]

    assert events("Belarus placed Maria Kolesnikova in jail.") == [("COERCE", "173", "place")]
    assert events("Belarus placed Maria Kolesnikova in a concentration camp.") == [
        ("COERCE", "173", "place")]  # a multi-word member of the synset: head and modifier
    assert events("Belarus placed Maria Kolesnikova on a list.") == []  # the bare verb: nothing
    # the bare verb with its own code; "think" is broad: only its patterns would code it
    assert events("Turkey barred Maria Kolesnikova.") == [("COERCE", "172", "bar")]
    assert events("Turkey thinks Maria Kolesnikova is right.") == []


def test_committed_file_names_its_source_and_licence():
    header = json.loads(GENERATED_LEXICON_PATH.read_text(encoding="utf-8").splitlines()[0])
    assert header["kind"] == "header"
    assert header["source"]["commit"] == "676801cd9cb2924bbbad09f86d15c9323e7097bf"
    assert header["source"]["path"] == "petrarch2/data/dictionaries/CAMEO.2.0.txt"
    assert "MIT" in header["source"]["licence"]
    assert "The MIT License" in (SEEDS / "LICENSE.petrarch2").read_text(encoding="utf-8")
    assert header["counts"]["patterns"] > 4000 and header["counts"]["verbs"] > 1500


def test_committed_lexicon_is_consistent():
    lexicon = read_lexicon()
    assert len(lexicon.entries) == len(read_lexicon(generated=None).entries)  # hand rows alone
    rows = [e for senses in lexicon.verbs.values() for s in senses
            for e in (s.default, *s.patterns) if e is not None] + list(lexicon.nouns.values())
    assert len(rows) > 10000
    for entry in rows:
        assert entry.generated
        assert entry.event_type in (*PLOVER_TYPES, "")
        if entry.event_type:
            assert entry.quad_class == quad_class(entry.cameo_code)
    assert {e.event_type for e in rows} - {""} == set(PLOVER_TYPES)
    assert {"talk", "bombing", "invasion", "withdrawal", "protest"} <= set(lexicon.nouns)


def test_nlp_version_hashes_the_generated_layer(tmp_path, monkeypatch):
    model = Settings().model
    before, own = nlp_version(model), nlp_version(model, LEXICON_PATH)
    changed = tmp_path / "event_lexicon_petrarch.jsonl"
    changed.write_text(GENERATED_LEXICON_PATH.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    monkeypatch.setattr(flows.nlp, "GENERATED_LEXICON_PATH", changed)
    assert nlp_version(model) != before
    # a lexicon of one's own (Settings.lexicon) is the whole lexicon: the layer is not in it
    assert nlp_version(model, LEXICON_PATH) == own
    assert read_lexicon(LEXICON_PATH, generated=None).verbs == {}
