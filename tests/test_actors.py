"""Actor coding: countries and roles from the PETRARCH2/Phoenix dictionaries (the committed seed),
on the seed story and real sentences through the real pipeline."""

from __future__ import annotations

from datetime import date

import pytest

from flows.nlp import read_actors, read_lexicon
from transforms.coding.actors import code_phrase
from transforms.coding.phoenix import CodeSpan, parse_petrarch_actors, parse_petrarch_agents
from transforms.nlp.analyze import analyze_doc

SEED_DATE = date(2019, 4, 5)


@pytest.fixture(scope="session")
def actors():
    return read_actors()


@pytest.fixture(scope="session")
def lexicon():
    return read_lexicon()


@pytest.fixture(scope="session")
def seed_analysis(nlp, seed_text, lexicon, actors):
    return analyze_doc(nlp(seed_text), SEED_DATE, lexicon, actors)


def entity(analysis, name):
    [found] = [e for e in analysis.entities if e.name == name]
    return found


def test_seed_story_actors(seed_analysis):
    haftar = entity(seed_analysis, "Khalifa Haftar")
    assert (haftar.country, haftar.role in ("MIL", "REB")) == ("LBY", True)
    lna = entity(seed_analysis, "Libyan National Army")
    assert (lna.country, lna.role in ("MIL", "REB")) == ("LBY", True)
    serraj = entity(seed_analysis, "Fayez Al Sarraj")  # also "Fayez Al Serraj", "Serraj"
    assert (serraj.country, serraj.role, serraj.actor_code) == ("LBY", "GOV", "LBYGOV")
    un = entity(seed_analysis, "United Nations")
    assert (un.country, un.role, un.actor_code) == ("IGO", "IGO", "IGOUNO")
    assert entity(seed_analysis, "Antonio Guterres").country == "IGO"  # Secretary-General in 2019
    assert (entity(seed_analysis, "Libya").country, entity(seed_analysis, "Libya").role) == ("LBY", None)
    assert entity(seed_analysis, "Tripoli").country == "LBY"
    assert entity(seed_analysis, "Libyan").country == "LBY"


def test_seed_story_event_sides(seed_analysis):
    sides = {(e.actor_text, e.actor_country, e.actor_role) for e in seed_analysis.events}
    assert ("UN Secretary-General Antonio Guterres", "IGO", "IGO") in sides
    assert ("the LNA", "LBY", "MIL") in sides
    # "Troops allied to the Tripoli government ... to defend the capital against Haftar's forces"
    targets = {(e.target_text, e.target_country, e.target_role) for e in seed_analysis.events}
    assert ("Haftar\u2019s forces", "LBY", "MIL") in targets


def test_office_holders_only_within_their_dates(nlp, lexicon, actors):
    text = "Prime Minister Fayez al-Serraj met Antonio Guterres in Tripoli."
    coded = {}
    for year in (2019, 2023):
        analysis = analyze_doc(nlp(text), date(year, 1, 10), lexicon, actors)
        coded[year] = {e.name: (e.country, e.role) for e in analysis.entities}
    [serraj] = [n for n in coded[2019] if "Serraj" in n]
    assert coded[2019][serraj] == ("LBY", "GOV")  # head of the GNA, Dec 2015 - Mar 2021
    assert coded[2023][serraj] == (None, None)
    # Phoenix: Franjo Tudjman [HRVELI 400101-900530] [HRVGOV 900530-991210], nothing undated
    assert actors.lookup("Franjo Tudjman", date(1995, 6, 1)) == "HRVGOV"
    assert actors.lookup("Franjo Tudjman", date(1985, 6, 1)) == "HRVELI"
    assert actors.lookup("Franjo Tudjman", date(2005, 6, 1)) is None
    assert actors.lookup("Franjo Tudjman", None) is None


def test_an_undated_text_gets_a_country_not_an_office(actors):
    # Ukraine's entry is dated (USR before 1991); an office holder's dates need a date
    assert actors.lookup("Ukraine", None) == "UKR"
    assert actors.lookup("Ukraine", date(1990, 1, 1)) == "USRUKR"
    assert actors.lookup("Barack Obama", None) is None
    assert actors.lookup("Barack Obama", date(2012, 1, 1)).startswith("USA")



def test_office_holders_since_2014(actors):
    # seeds/actors_newsduck.txt: Phoenix's person entries end about 2014
    assert actors.lookup("Volodymyr Zelenskiy", date(2023, 6, 1)) == "UKRGOV"
    assert actors.lookup("Zelensky", date(2018, 6, 1)) == "UKR"  # before he took office
    assert actors.lookup("Donald Trump", date(2018, 6, 1)) == "USAGOV"
    assert actors.lookup("Donald Trump", date(2023, 6, 1)) == "USA"  # between his terms
    assert actors.lookup("Keir Starmer", date(2023, 6, 1)) == "GBROPP"
    assert actors.lookup("Keir Starmer", date(2025, 6, 1)) == "GBRGOV"
    assert actors.lookup("Antonio Costa", date(2025, 6, 1)) == "IGOEUREEC"
    # Phoenix's Tusk is Polish government from 2007, left open: our dated offices decide
    assert actors.lookup("Donald Tusk", date(2010, 6, 1)) == "POLGOV"
    assert actors.lookup("Donald Tusk", date(2018, 6, 1)) == "IGOEUREEC"
    assert actors.lookup("Donald Tusk", date(2024, 6, 1)) == "POLGOV"
    assert actors.lookup("Ursula von der Leyen", date(2023, 6, 1)) == "IGOEUREEC"



def test_leaders_the_model_misses_are_named_and_coded(nlp, lexicon, actors):
    # the small model tags "Zelenskiy" nothing and "Macron" ORG; seeds/gazetteer.jsonl names them
    analysis = analyze_doc(nlp("Zelenskiy urged allies to send more air defence systems. "
                               "Macron said France would send more."), date(2023, 6, 1),
                           lexicon, actors)
    people = {e.name: (e.label, e.country, e.role) for e in analysis.entities}
    assert people["Volodymyr Zelenskiy"] == ("PERSON", "UKR", "GOV")
    assert people["Emmanuel Macron"] == ("PERSON", "FRA", "GOV")
    assert ("REQUEST", "Zelenskiy", "UKR") in {
        (e.event_type, e.actor_text, e.actor_country) for e in analysis.events}


def test_unknown_stays_none(nlp, lexicon, actors):
    analysis = analyze_doc(nlp("Zaid Harbusi, a local councillor, spoke to reporters in Tripoli."),
                           SEED_DATE, lexicon, actors)
    people = [e for e in analysis.entities if e.label == "PERSON"]
    assert people and all((e.country, e.role, e.actor_code) == (None, None, None) for e in people)
    assert code_phrase(actors, "the committee", SEED_DATE) is None
    assert code_phrase(actors, "they told us", SEED_DATE) is None  # "us" is not the US
    # a surname is no office ("Mr. King"), a task force no army, "organization" not Tanzim
    assert code_phrase(actors, "Mr. King", SEED_DATE) is None
    assert code_phrase(actors, "task force members", SEED_DATE) is None
    assert code_phrase(actors, "International Coffee Organization", SEED_DATE) is None


@pytest.mark.parametrize("phrase, country, role", [
    ("Libyan forces", "LBY", "MIL"),
    ("Egyptian police", "EGY", "COP"),
    ("protesters in Cairo", "EGY", "CVL"),
    ("Troops allied to the Tripoli government", "LBY", "MIL"),
    ("the United Nations", "IGO", "IGO"),
    ("Israeli troops", "ISR", "MIL"),
    ("police", None, "COP"),
])
def test_phrases(actors, phrase, country, role):
    code = code_phrase(actors, phrase, SEED_DATE)
    assert (code.country, code.role) == (country, role)


@pytest.mark.parametrize("sentence, actor", [
    ("Libyan forces attacked the town of Gharyan on Thursday.", ("LBY", "MIL")),
    ("Egyptian police arrested dozens of protesters in Cairo on Friday.", ("EGY", "COP")),
    ("Protesters in Cairo clashed with police on Friday.", ("EGY", "CVL")),
])
def test_event_actors_through_the_pipeline(nlp, lexicon, actors, sentence, actor):
    analysis = analyze_doc(nlp(sentence), SEED_DATE, lexicon, actors)
    assert analysis.events, sentence
    assert (analysis.events[0].actor_country, analysis.events[0].actor_role) == actor


def test_without_dictionary_nothing_is_coded(nlp, seed_text, lexicon):
    analysis = analyze_doc(nlp(seed_text), SEED_DATE, lexicon)
    assert all(e.country is None and e.actor_code is None for e in analysis.entities)
    assert all(e.actor_country is None and e.target_role is None for e in analysis.events)


def test_petrarch_formats():
    lines = [
        "# comment",
        "CROATIA_  [HRV >920115]  # trailing comment",
        "+CROATIAN_",
        "+REPUBLIC_OF_CROATIA_",
        "\t[YUGHRV <910625]",
        "FRANJO_TUDJMAN_",
        "\t[HRVELI 400101-900530]",
        "\t[HRVGOV 19900530 - 19991210]",
        "<!-- a comment",
        "over two lines -->",
        "NO_CODE_HERE",
        "BAD_DATE [KORGOVBUS 2004017-20061201]",
    ]
    entries, skipped = parse_petrarch_actors(lines, "C")
    croatia, tudjman = entries
    assert croatia.phrases == ("croatia", "croatian", "republic of croatia")
    assert croatia.codes == (CodeSpan("HRV", date(1992, 1, 15)), CodeSpan("YUGHRV", None, date(1991, 6, 25)))
    assert tudjman.codes[1] == CodeSpan("HRVGOV", date(1990, 5, 30), date(1999, 12, 10))
    assert skipped == {"entry_without_code": 2, "malformed_code": 1}
    agents, _ = parse_petrarch_agents([
        "!PERSON! = MAN, MEN",
        "POLICE!PERSON! [~COP]",
        "ARMY [~MIL]",
        "POLICE {} [ ~COP]",
        "ATTORNEY_GENERAL {ATTORNEYS_GENERAL} [~GOV]",
        "PEACEKEEPING_TROOPS {} [IGO~]",
    ])
    assert [a.phrases for a in agents] == [("policeman", "policemen"), ("army", "armies"),
                                           ("police",), ("attorney general", "attorneys general"),
                                           ("peacekeeping troops",)]
    assert agents[-1].code == "IGO~"
