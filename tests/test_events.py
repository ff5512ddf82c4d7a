"""Events from the dependency parse: the seed article's main events and general rules."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from flows.nlp import LEXICON_PATH, analyze_texts, read_lexicon
from flows.settings import Settings
from transforms.nlp.events import PLOVER_TYPES, parse_lexicon, quad_class
from transforms.records import Event

PUBLISHED = date(2019, 4, 5)


@pytest.fixture(scope="session")
def seed_analysis(nlp, seed_text):
    [analysis] = analyze_texts([(seed_text, PUBLISHED)], Settings().model)
    return analysis


def analyze(text: str, published: date | None = PUBLISHED):
    [analysis] = analyze_texts([(text, published)], Settings().model)
    return analysis


def names(analysis):
    return {e.entity_id: e.name for e in analysis.entities}


def find(analysis, text: str, sentence_part: str, event_type: str, trigger: str = "") -> Event:
    matches = [ev for ev in analysis.events if sentence_part in text[ev.start:ev.end]
               and ev.event_type == event_type and ev.trigger.startswith(trigger)]
    assert len(matches) == 1, [(e.event_type, text[e.start:e.end][:60]) for e in analysis.events]
    return matches[0]


def check(analysis, event, actor, target, location, when, negated=False, precision="day"):
    n = names(analysis)
    assert n.get(event.actor_id, "") == actor
    assert n.get(event.target_id, "") == target
    assert n.get(event.location_id, "") == location
    assert event.location_text == location  # the whole mention: "Abu Dhabi", not "Dhabi"
    assert event.event_date == when
    assert event.date_precision == precision
    assert event.negated is negated


def test_guterres_to_meet_haftar(seed_analysis, seed_text):
    ev = find(seed_analysis, seed_text, "flying to eastern Libya", "CONSULT")
    check(seed_analysis, ev, "Antonio Guterres", "Khalifa Haftar", "Libya", PUBLISHED)
    assert ev.date_source == "expression"  # "on Friday"
    assert (ev.cameo_root, ev.quad_class) == ("04", 1)


def test_lna_took_gharyan(seed_analysis, seed_text):
    ev = find(seed_analysis, seed_text, "took Gharyan", "ASSAULT")
    check(seed_analysis, ev, "Libyan National Army", "Fayez Al Sarraj", "Gharyan", date(2019, 4, 4))
    assert ev.quad_class == 4


def test_saleh_welcomed_the_offensive(seed_analysis, seed_text):
    ev = find(seed_analysis, seed_text, "issued a statement welcoming", "SUPPORT")
    assert ev.trigger == "issue statement welcome"
    n = names(seed_analysis)
    assert n[ev.actor_id] == "Aguila Saleh"
    assert ev.event_date == date(2019, 4, 4)  # "Late on Thursday" on the light verb


def test_serraj_and_haftar_met_last_month(seed_analysis, seed_text):
    ev = find(seed_analysis, seed_text, "met in Abu Dhabi", "CONSULT", "meet")
    check(seed_analysis, ev, "Fayez Al Sarraj", "Khalifa Haftar", "Abu Dhabi", date(2019, 3, 1),
          precision="month")
    # "met ... to discuss" is one meeting, not two
    assert not [e for e in seed_analysis.events if e.trigger == "discuss"]


def test_group_allied_to_lna_withdrew(seed_analysis, seed_text):
    ev = find(seed_analysis, seed_text, "withdrew overnight", "RETREAT")
    check(seed_analysis, ev, "Libyan National Army", "", "Gate 27", PUBLISHED)


def test_troops_moved_vehicles(seed_analysis, seed_text):
    ev = find(seed_analysis, seed_text, "moved more vehicles", "MOBILIZE")
    # the Tripoli government is not a named entity: no actor; the capital is defended against
    # Haftar's forces
    check(seed_analysis, ev, "", "Khalifa Haftar", "Tripoli", PUBLISHED)
    assert ev.date_source == "publish_date"
    assert ev.actor_text == "the Tripoli government"


def test_lna_failed_to_take_checkpoint(seed_analysis, seed_text):
    ev = find(seed_analysis, seed_text, "did not succeed in taking", "ASSAULT")
    n = names(seed_analysis)
    assert n[ev.actor_id] == "Libyan National Army"
    assert ev.negated is True


def test_seed_has_no_untyped_events(seed_analysis, seed_text):
    assert all(ev.event_type in PLOVER_TYPES for ev in seed_analysis.events)
    for sentence in ("wrote on Twitter", "had been in Tripoli this week", "biggest opponent"):
        assert not [ev for ev in seed_analysis.events if sentence in seed_text[ev.start:ev.end]]
    assert all(seed_text[ev.start:ev.end].strip() == seed_text[ev.start:ev.end]
               for ev in seed_analysis.events)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rebels failed to capture the town of Kidal on Monday.", ("ASSAULT", True)),
        ("The army did not withdraw from Mosul.", ("RETREAT", True)),
        ("Iran refused to meet the American envoy.", ("REJECT", False)),
        ("Turkey agreed to withdraw its troops from Afrin.", ("AGREE", False)),
    ],
)
def test_negation_and_complements(nlp, text, expected):
    analysis = analyze(text)
    assert [(ev.event_type, ev.negated) for ev in analysis.events] == [expected]


def test_denials_and_untyped_sentences_yield_nothing(nlp):
    assert analyze("Haftar denied attacking civilians in Tripoli.").events == ()
    assert analyze("The weather in Tripoli was warm on Thursday.").events == ()
    assert analyze("The UN-backed government is based in Tripoli.").events == ()


def test_passive_voice_actor_is_the_agent(nlp):
    analysis = analyze("Sirte was captured by Haftar's forces on Thursday.")
    [ev] = analysis.events
    n = names(analysis)
    assert ev.event_type == "ASSAULT"
    assert n[ev.location_id] == "Sirte"
    assert n.get(ev.actor_id, "") in ("Haftar",)
    assert ev.event_date == date(2019, 4, 4)


def test_no_publish_date_means_no_date(nlp):
    [ev] = analyze("Police arrested the opposition leader.", None).events
    assert (ev.event_type, ev.event_date, ev.date_source) == ("COERCE", None, "none")


def test_future_weekday_looks_forward(nlp):
    [ev] = analyze("Guterres will meet Haftar in Benghazi on Monday.").events
    assert ev.event_date == date(2019, 4, 8)


def test_lexicon_file_is_consistent():
    with LEXICON_PATH.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    lexicon = read_lexicon()
    assert len(lexicon.entries) == len(rows) >= 150
    for entry in lexicon.entries:
        assert entry.event_type in PLOVER_TYPES
        assert entry.quad_class == quad_class(entry.cameo_root)
    # all 16 PLOVER types are reachable
    assert {e.event_type for e in lexicon.entries} == set(PLOVER_TYPES)


def test_lexicon_rejects_a_wrong_quad_class():
    with pytest.raises(ValueError):
        parse_lexicon([{"trigger": "attack", "event_type": "ASSAULT", "cameo_code": "190",
                        "quad_class": "1"}])


def test_quad_class_by_root():
    assert [quad_class(f"{r:02d}") for r in (1, 5, 6, 8, 9, 13, 14, 20)] == [1, 1, 2, 2, 3, 3, 4, 4]


def test_lexicon_path_is_in_seeds():
    assert LEXICON_PATH == Path(__file__).resolve().parent.parent / "seeds" / "event_lexicon.csv"


# -- general rules on sentences written for these tests (not from the gold set) ----------------

FRIDAY_2021 = date(2021, 6, 11)


def one_event(text: str, published: date = FRIDAY_2021):
    analysis = analyze(text, published)
    assert len(analysis.events) == 1, [(e.event_type, e.trigger) for e in analysis.events]
    ev = analysis.events[0]
    n = names(analysis)
    return ev, n.get(ev.actor_id, ""), n.get(ev.target_id, ""), n.get(ev.location_id, "")


def test_government_of_a_country_is_the_country(nlp):
    ev, actor, target, _ = one_event("Chad's government expelled the French ambassador on Wednesday.")
    assert (ev.event_type, actor, target) == ("SANCTION", "Chad", "French")
    assert ev.event_date == date(2021, 6, 9)


def test_demonym_stays_a_people_without_its_country(nlp):
    ev, actor, target, location = one_event(
        "Turkish jets bombed Kurdish positions in northern Iraq overnight.")
    assert (ev.event_type, actor, target, location) == ("ASSAULT", "Turkish", "Kurd", "Iraq")


def test_demonym_acts_as_its_named_country(nlp):
    analysis = analyze("Russia rejected the claim. Russian missiles hit the port of Odesa on Saturday.",
                       FRIDAY_2021)
    n = names(analysis)
    [ev] = [e for e in analysis.events if e.event_type == "ASSAULT"]
    assert n[ev.actor_id] == "Russia"
    assert n[ev.location_id] == "Odesa"
    assert ev.event_date == date(2021, 6, 5)


def test_warning_of_an_act_is_a_threat(nlp):
    ev, actor, _, _ = one_event("The Pentagon warned that it would strike Houthi targets.")
    assert (ev.event_type, ev.cameo_root, ev.quad_class, actor) == ("THREATEN", "13", 3, "Pentagon")


def test_it_in_reported_speech_is_the_speaker(nlp):
    ev, actor, _, _ = one_event("Hamas said it would release two hostages on Saturday.")
    assert (ev.event_type, actor) == ("RETREAT", "Hamas")
    assert ev.event_date == date(2021, 6, 12)  # future: the coming Saturday


def test_target_on_the_object_and_month_precision(nlp):
    ev, actor, target, _ = one_event("Egypt imposed sanctions on Ethiopia last week.")
    assert (ev.event_type, ev.cameo_root, actor, target) == ("COERCE", "16", "Egypt", "Ethiopia")
    assert (ev.event_date, ev.date_precision) == (date(2021, 6, 1), "month")


def test_where_clause_gives_the_location(nlp):
    ev, actor, target, location = one_event(
        "President Emmanuel Macron flew to Bamako, where he met interim leader Assimi Goita.")
    assert (ev.event_type, actor, target, location) == (
        "CONSULT", "Emmanuel Macron", "Assimi Goita", "Bamako")


def test_members_of_a_group_act_for_it(nlp):
    ev, actor, _, location = one_event(
        "Rebels of the M23 movement captured the town of Bunagana, a spokesman said.")
    assert (ev.event_type, actor, location) == ("ASSAULT", "M23", "Bunagana")


def test_title_refers_back_to_the_person(nlp):
    analysis = analyze("Finance Minister Ahmed Hassan met union leaders on Monday. "
                       "The finance minister later scrapped the tax on flour.")
    n = names(analysis)
    [ev] = [e for e in analysis.events if e.event_type == "CONCEDE"]
    assert n[ev.actor_id] == "Ahmed Hassan"


def test_purpose_and_commands_are_not_separate_events(nlp):
    ev, _, _, location = one_event("Protesters marched to the parliament in Colombo to denounce "
                                   "the president.")
    assert (ev.event_type, location) == ("PROTEST", "Colombo")
    assert analyze("The minister ordered police to block the roads.").events == ()
    assert analyze("The EU rejected calls to withdraw its monitors.").events[0].event_type == "REJECT"
    assert len(analyze("The EU rejected calls to withdraw its monitors.").events) == 1


def test_storms_and_diseases_do_not_assault(nlp):
    assert analyze("The storm killed 12 people in Dhaka.").events == ()
    assert analyze("Ebola has killed more than 500 people in North Kivu.").events == ()


def test_agreement_reaches_into_its_infinitive_for_the_target(nlp):
    ev, actor, target, _ = one_event("The EU agreed to lift sanctions on Belarus.")
    assert (ev.event_type, actor, target) == ("AGREE", "European Union", "Belarus")


def test_conjoined_acts_of_one_type_are_one_event(nlp):
    analysis = analyze("Mali recalled its ambassadors and suspended all aid to Niger on Sunday.")
    assert [e.event_type for e in analysis.events] == ["SANCTION"]


def test_where_clause_takes_the_time_of_its_antecedent(nlp):
    ev, actor, target, location = one_event(
        "Prince Mohammed is due to fly to New Delhi on Tuesday, where he will meet "
        "Prime Minister Narendra Modi.")
    assert (ev.event_type, location) == ("CONSULT", "New Delhi")
    assert ev.event_date == date(2021, 6, 15)


def test_hypothetical_people_do_not_act(nlp):
    assert analyze("Police will deal firmly with anyone who tries to block roads.").events == ()


def test_participles_of_one_act_are_one_event(nlp):
    analysis = analyze("ECOWAS imposed sanctions on Mali, closing borders and freezing its assets.")
    assert [e.event_type for e in analysis.events] == ["COERCE"]


@pytest.mark.parametrize(
    "text",
    [
        "The coach recognizes that his team's hopes are slim.",
        "Beijing wants Washington to lift the tariffs on Chinese goods.",
        "Whether Trump will agree to remove the tariffs is unclear.",
        "Senator Castor asked Morrison about the call.",
        "His fear of being extradited to the United States kept Assange in London.",
    ],
)
def test_not_events(nlp, text):
    assert analyze(text, FRIDAY_2021).events == ()


def test_neither_nor_negates(nlp):
    ev, _, _, _ = one_event("Neither Russia nor Belarus withdrew its troops from the border.")
    assert (ev.event_type, ev.negated) == ("RETREAT", True)


def test_an_acronym_spelled_like_a_relative_pronoun_does_not_hang(nlp):
    # "WHO" lowercases to "who": the walk up to a relative clause must stop at the root.
    analysis = analyze("The WHO did not succeed in taking the airport in China, residents said.")
    assert all(e.negated for e in analysis.events)


# -- the PETRARCH layer and events beyond the active verb (issue 13) ---------------------------

def events_of(text: str, published: date = FRIDAY_2021):
    """(type, CAMEO code, trigger, actor name, target name) of every event of a text."""
    analysis = analyze(text, published)
    n = names(analysis)
    return [(e.event_type, e.cameo_code, e.trigger, n.get(e.actor_id, ""), n.get(e.target_id, ""))
            for e in analysis.events]


def test_generated_pattern_with_a_preposition(nlp):
    # PETRARCH: "--- ARRANGE [---]" (PLACE, PUT, ...) codes nothing bare, "- * (IN &DETENTION)
    # [173]": the preposition and its object's head from a synonym set make it an arrest
    assert events_of("Belarus placed opposition leader Maria Kolesnikova in detention.") == [
        ("COERCE", "173", "place", "Belarus", "Maria Kolesnikova")]
    assert events_of("Belarus placed opposition leader Maria Kolesnikova on a list.") == []


def test_generated_multiword_verb_with_its_particle(nlp):
    # "+CORDON_OFF" in the EXCLUDE [170] block; the lemmatizer says "cordone", the form is found
    [ev] = analyze("Hungarian police cordoned off the parliament on Friday.").events
    assert (ev.event_type, ev.cameo_code, ev.cameo_root, ev.quad_class, ev.trigger) == (
        "COERCE", "170", "17", 4, "cordon off")
    assert ev.actor_text == "Hungarian police"


def test_hand_rows_override_the_generated_layer(nlp):
    lexicon = read_lexicon()
    [sense] = [s for s in lexicon.verbs["withdraw"] if not s.after]
    assert (sense.default.event_type, sense.default.cameo_code) == ("CONCEDE", "080")  # PETRARCH
    assert events_of("Turkey withdrew its troops from Afrin.") == [
        ("RETREAT", "0874", "withdraw troop", "Turkey", "")]  # the hand row
    assert events_of("Israel withdrew from Gaza in 2005.") == [
        ("RETREAT", "0874", "withdraw", "Israel", "")]
    # a firm withdrawing its bid retreats from nothing
    assert events_of("SHV Holdings said it is withdrawing its take-over bid for Imperial Gas.") == []
    # ... unless a PETRARCH pattern names the preposition's object: "- * (FROM &TREATY) [161]"
    assert events_of("Russia withdrew from the New START treaty.") == [
        ("SANCTION", "161", "withdraw", "Russia", "")]


def test_a_vowed_use_of_force_is_a_threat(nlp):
    assert events_of("Israel vows to retaliate against Hezbollah") == [
        ("THREATEN", "138", "vow retaliate", "Israel", "Hezbollah")]


def test_nominal_events(nlp):
    assert events_of("Talks between Serbia and Kosovo broke down in Brussels.") == [
        ("CONSULT", "046", "talk", "Serbia", "Kosovo")]
    assert events_of("Russia's invasion of Ukraine began in February.") == [
        ("COERCE", "192", "invasion", "Russia", "Ukraine")]
    # under an event verb the noun is that event's object, not an event of its own
    assert [e[0] for e in events_of("The EU condemned Russia's invasion of Ukraine.")] == ["ACCUSE"]


def test_passive_with_a_by_agent(nlp):
    assert events_of("Egypt's president was criticized by Ethiopia over the dam.") == [
        ("ACCUSE", "111", "criticize", "Ethiopia", "Egypt")]


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        # the parser makes "Russia" a compound of the verb: it is the subject
        ("Russia attacks Ukraine", ("ASSAULT", "190", "attack", "Russia", "Ukraine")),
        # "visits" tagged a plural noun: read as subject - verb - object
        ("UN envoy visits Yemen", ("CONSULT", "042", "visit", "United Nations", "Yemen")),
        # "X to visit Y": the parser takes the name for the root, even for a verb
        ("Blinken to visit China next week", ("CONSULT", "042", "visit", "Antony Blinken", "China")),
    ],
)
def test_headlines(nlp, headline, expected):
    assert events_of(headline) == [expected]


def test_coordinated_actors_and_targets(nlp):
    assert events_of("France and Germany condemned the coup in Niger.") == [
        ("ACCUSE", "111", "condemn", "France", ""), ("ACCUSE", "111", "condemn", "Germany", "")]
    assert [(e[3], e[4]) for e in events_of("Russian forces attacked Ukraine and Georgia.")] == [
        ("Russian", "Ukraine"), ("Russian", "Georgia")]
    # symmetric types stay one event between the two; "or" does not say both did it
    assert events_of("Putin and Xi met in Beijing on Tuesday.") == [
        ("CONSULT", "040", "meet", "Vladimir Putin", "Xi Jinping")]
    assert len(events_of("Russia or Belarus attacked Ukraine.")) == 1


def test_an_adjective_complement_passes_its_subject_down(nlp):
    # "is about to restore", "was unable to reach" (acomp -> xcomp): the subject of "is" acts
    assert events_of("Egypt is about to restore full diplomatic relations with Qatar.") == [
        ("SUPPORT", "050", "restore relation", "Egypt", "Qatar")]
    [analysis] = analyze_texts([("Egypt was unable to reach an agreement with Ethiopia.", PUBLISHED)],
                               Settings().model)
    assert [(e.event_type, e.negated) for e in analysis.events] == [("AGREE", True)]


def test_a_crowd_protests(nlp):
    # a crowd is no generic actor for most events ("people visited"), but it is who protests
    assert [e[:3] for e in events_of("Thousands of people marched in Paris against the reform.")] == [
        ("PROTEST", "141", "march")]
    assert events_of("People visited the museum on Sunday.") == []


def test_the_purpose_of_a_journey_is_the_travellers_event(nlp):
    assert events_of("The Turkish president arrived in Moscow on Monday for a two-day visit.") == [
        ("CONSULT", "042", "visit", "Turkish", "Moscow")]
    assert events_of("Blinken was in Beijing for talks with Wang Yi.") == [
        ("CONSULT", "046", "talk", "Antony Blinken", "Wang Yi")]


def test_a_government_unnamed_is_a_generic_actor(nlp):
    # like "police" or "troops": CAMEO codes "the government" (---GOV) though no name is given
    assert events_of("The junta lifted the curfew in the capital on Sunday.") == [
        ("RETREAT", "0813", "lift curfew", "", "")]


def test_what_is_provided_with_is_the_object_that_types_the_aid(nlp):
    # "provided Ukraine with air defence systems": Ukraine is the party, the systems the aid
    assert events_of("The United States provided Ukraine with air defence systems.") == [
        ("AID", "072", "provide", "United States", "Ukraine")]
    assert events_of("The minister provided reporters with details.") == []


def test_who_warned_they_would_act_is_the_generic_actor(nlp):
    assert [e[:4] for e in events_of("The rebels warned they would attack the capital if the "
                                     "government did not resign.")] == [("THREATEN", "138", "warn attack", "")]


def test_a_progressive_the_parser_misreads_keeps_its_subject(nlp):
    assert events_of("Qatar is mediating between Israel and Hamas.") == [
        ("CONSULT", "045", "mediate", "Qatar", "Israel")]


def test_an_accusation_of_crimes_is_no_charge(nlp):
    # PETRARCH's BLAME synset codes "(OF &CRIME)" 173 (a legal charge) for all its verbs; the
    # preposition hangs on the object here, and the hand row for "accuse ... of" still applies
    assert events_of("Amnesty International accused the army of war crimes.") == [
        ("ACCUSE", "112", "accuse", "Amnesty International", "")]


def test_the_judiciary_acts_and_drills_are_a_show_of_force_by_a_state(nlp):
    assert events_of("Prosecutors charged the former minister with corruption.") == [
        ("COERCE", "173", "charge", "", "")]
    assert [e[:4] for e in events_of("Russia and China held joint naval drills in the Sea of Japan.")] == [
        ("MOBILIZE", "150", "hold drill", "Russia"), ("MOBILIZE", "150", "hold drill", "China")]
    assert events_of("The students held a drill.") == []  # a fire drill: no state, no force


def test_a_headline_whose_actor_is_a_role(nlp):
    assert events_of("Police fire tear gas at protesters in Nairobi") == [
        ("ASSAULT", "175", "fire gas", "", "")]
    assert events_of("Protesters storm parliament in Baghdad") == [("PROTEST", "145", "storm", "", "")]


def test_money_in_aid_and_arms_laid_down(nlp):
    assert [e[:4] for e in events_of("Germany pledged 500 million euros in aid to Ukraine.")] == [
        ("AGREE", "030", "pledge", "Germany")]
    assert events_of("Rebels laid down their arms.") == [("RETREAT", "0873", "lay down arm", "", "")]
    assert events_of("She laid down the book.") == []


def test_receiving_a_counterpart_hosts_a_visit(nlp):
    assert events_of("The Saudi foreign minister received his Iranian counterpart in Riyadh.") == [
        ("CONSULT", "043", "receive counterpart", "Saudi", "Iranian")]
    assert events_of("Ukraine received a shipment of tanks.") == []


def test_an_anonymous_source_requests_nothing(nlp):
    # Reuters' formula; "asked the UN not to intervene" is still a request
    assert events_of("A Pentagon official, who asked not to be identified, told Reuters.") == []
    assert events_of("One bond trader who asked not to be named said buying was heavy.") == []
    assert [e[:2] for e in events_of("Iraq asked the UN not to intervene.")] == [("REQUEST", "100")]


def test_the_subject_of_a_passive_does_what_its_infinitive_says(nlp):
    # "is expected to ask", "were allowed to press": the passive's subject is the actor
    assert [e[:4] for e in events_of("Central bank governor Francisco Gros is expected to ask "
                                     "banks for a rollover.")] == [
        ("REQUEST", "100", "ask", "Francisco Gros")]
    assert [e[:4] for e in events_of("Iran was asked to release the sailors.")] == [
        ("REQUEST", "100", "ask", "")]  # "asked" itself: Iran is whom it was asked of


def test_declining_to_act_negates_the_act(nlp):
    [ev] = analyze("Ortiz Mena declined to agree with the estimates of the World Bank.").events
    assert (ev.event_type, ev.negated) == ("AGREE", True)


def test_meeting_a_demand_is_no_meeting(nlp):
    assert [e[:5] for e in events_of("Putin met Erdogan in Sochi.")] == [
        ("CONSULT", "040", "meet", "Vladimir Putin", "Recep Tayyip Erdogan")]
    assert [e[:4] for e in events_of("Putin and Erdogan met in Sochi.")][0] == (
        "CONSULT", "040", "meet", "Vladimir Putin")
    assert events_of("Iran failed to meet the deadline set by the IAEA.") == []
    assert events_of("Algeria's gas would only serve to meet peak demand.") == []


def test_a_pattern_written_for_a_phrasal_verb_needs_its_particle(nlp):
    # PETRARCH's GO_SOMEWHERE block holds "(OF TALKS)" 164 from PULLED_OUT; "attend" is in it too
    assert [e[:3] for e in events_of("Iran walked out of the talks in Geneva.")] == [
        ("SANCTION", "164", "walk out")]
    assert "SANCTION" not in {e[0] for e in events_of("The minister would attend the opening of "
                                                     "the talks in London on Monday.")}


def test_a_source_that_says_nothing_rejects_nothing(nlp):
    # CAMEO 011 "decline comment" has no PLOVER type; refusing to act is still a rejection
    assert events_of("A CIA spokesman refused to comment on the report.") == []
    assert events_of("An official from Daewoo Motor Co Ltd, who requested anonymity, told "
                     "Reuters the plant would close.") == []
    assert [e[:4] for e in events_of("Hamas refused to release the hostages.")] == [
        ("REJECT", "120", "refuse", "Hamas")]


def test_an_act_still_being_considered_is_no_event(nlp):
    assert events_of("Tunisia is considering asking the IMF for a new loan.") == []
    assert [e[:4] for e in events_of("Tunisia asked the IMF for a new loan.")] == [
        ("REQUEST", "100", "ask", "Tunisia")]


def test_a_subject_hung_on_the_passive_auxiliary_is_acted_upon(nlp):
    # the parser hangs "The Philippines" on "was" when two adverbs stand before the participle
    [ev] = analyze("The Philippines was heavily and unjustly criticized over its territorial "
                   "dispute with China.").events
    assert (ev.event_type, ev.actor_text, ev.target_text) == ("ACCUSE", "", "The Philippines")


def test_occupying_is_taking_a_place(nlp):
    [ev] = analyze("Rebels occupied the town of Kidal.").events
    assert (ev.event_type, ev.cameo_code, ev.actor_text) == ("COERCE", "192", "Rebels")
    assert events_of("Norfolk Southern said it will occupy the 17th through 21st floors.") == []


def test_a_relative_pronoun_stands_for_its_antecedent(nlp):
    # the crowd that marched protested; the actor's text is the name, not its clause
    found = {(ev.event_type, ev.actor_text) for ev in analyze(
        "Protesters who marched through Algiers demanded elections.").events}
    assert found == {("PROTEST", "Protesters"), ("REQUEST", "Protesters")}
    [ev] = analyze("Troops who attacked the village of Tawergha were allied to Haftar.").events
    assert (ev.event_type, ev.actor_text) == ("ASSAULT", "Troops")
    # "targets that Congress must meet": the thing met is no party
    assert events_of("The law sets deficit targets that Congress must meet.") == []


def test_meeting_a_target_or_objections_is_no_meeting(nlp):
    assert events_of("The government looked unlikely to meet its five pct inflation target.") == []
    assert events_of("Delors said he met with strong objections from some EC government "
                     "heads.") == []
    assert [e[:5] for e in events_of("Putin met with Erdogan in Sochi.")] == [
        ("CONSULT", "040", "meet", "Vladimir Putin", "Recep Tayyip Erdogan")]


def test_attacking_a_plan_is_criticism_and_targeting_a_surplus_no_attack(nlp):
    assert [e[:4] for e in events_of("Japan has also attacked OECD forecasts.")] == [
        ("ACCUSE", "111", "attack forecast", "Japan")]
    assert [e[:4] for e in events_of("Russia attacked Ukraine.")] == [
        ("ASSAULT", "190", "attack", "Russia")]
    assert events_of("The South Korean government targeted a five billion dollar surplus.") == []
    [ev] = analyze("Russian missiles targeted power stations across Ukraine.").events
    assert (ev.event_type, ev.actor_country) == ("ASSAULT", "RUS")


def test_a_possessive_names_whom_an_arrest_or_a_murder_was_done_to(nlp):
    [ev] = analyze("Navalny's detention by Russian police drew protests.").events
    assert (ev.event_type, ev.actor_text, ev.target_text) == ("COERCE", "Russian police", "Navalny")
    # with an "of" phrase the possessor is who did it; the text leaves out the "'s"
    [ev] = analyze("Iran's release of the British sailors eased tensions.").events
    assert (ev.event_type, ev.actor_text, ev.target_text) == (
        "RETREAT", "Iran", "the British sailors")


def test_a_nationality_in_the_plural_is_people_released(nlp):
    [ev] = analyze("Venezuela freed five Americans in a prisoner swap on Saturday.").events
    assert (ev.event_type, ev.cameo_code, ev.actor_text, ev.actor_country) == (
        "RETREAT", "0841", "Venezuela", "VEN")


def test_talks_on_a_country_are_about_it(nlp):
    assert [e[:5] for e in events_of("Macron and Scholz held talks on Ukraine in Berlin.")] == [
        ("CONSULT", "040", "hold talk", "Emmanuel Macron", "Olaf Scholz")]


def test_the_houthis_and_the_opposition_are_coded(nlp):
    [ev] = analyze("Houthis attack ship in Red Sea").events
    assert (ev.event_type, ev.actor_country, ev.actor_role) == ("ASSAULT", "YEM", "REB")
    [ev] = analyze("Kenyan opposition calls for mass protests").events
    assert (ev.event_type, ev.actor_country, ev.actor_role) == ("REQUEST", "KEN", "OPP")


def test_the_speaker_of_a_quote_is_its_i(nlp):
    [ev] = analyze('"I condemn this attack," Macron said on Sunday.').events
    assert (ev.event_type, ev.actor_text) == ("ACCUSE", "Macron")


def test_a_participle_before_the_object_is_no_pattern_noun(nlp):
    # PETRARCH's "- * BASE" (a military base) is not the "based" of "broad-based"
    assert events_of("Evans said he would take a broad-based approach to taxes.") == []


def test_a_headline_crowd_marches(nlp):
    [ev] = analyze("Thousands march in Tel Aviv against judicial overhaul").events
    assert (ev.event_type, ev.actor_text) == ("PROTEST", "Thousands")
    [ev] = analyze("Hundreds protest in Nairobi over tax hike").events
    assert (ev.event_type, ev.actor_text) == ("PROTEST", "Hundreds")


def test_a_text_acts_through_its_issuer(nlp):
    [ev] = analyze("The UN resolution condemned Israel.").events
    assert (ev.event_type, ev.actor_text, ev.actor_country, ev.target_country) == (
        "ACCUSE", "UN", "IGO", "ISR")
    assert events_of("Gray said his plan would call for a freeze in spending.") == []


def test_what_is_too_hard_to_do_is_not_done(nlp):
    assert events_of("The rebels were too weak to attack Kidal.") == []
    assert [e[0] for e in events_of("The rebels attacked Kidal.")] == ["ASSAULT"]


def test_a_region_named_after_america_is_not_the_united_states(nlp):
    [ev] = analyze("Latin American leaders backed Brazil on Monday.").events
    assert (ev.event_type, ev.actor_country, ev.target_country) == ("SUPPORT", None, "BRA")


def test_what_is_denied_is_negated(nlp):
    [ev] = analyze("Serbia denied it had sent troops to the Kosovo border.").events
    assert (ev.event_type, ev.actor_text, ev.negated) == ("MOBILIZE", "Serbia", True)
    [ev] = analyze("Serbia said it had sent troops to the Kosovo border.").events
    assert ev.negated is False


def test_the_object_of_urging_does_what_it_is_urged_to(nlp):
    found = {(e.event_type, e.actor_text) for e in analyze(
        "Tehran did this to encourage Kurdish rebels to support its troops.").events}
    assert ("SUPPORT", "Kurdish rebels") in found and ("SUPPORT", "Tehran") in found


def test_the_place_one_left_for_is_no_subject(nlp):
    [ev] = analyze("Finance Minister Ronnie De Mel has left for Washington to discuss a new loan, "
                   "officials told Reuters.").events
    assert (ev.event_type, ev.actor_text) == ("CONSULT", "Finance Minister Ronnie De Mel")


def test_unions_launching_strikes_protest(nlp):
    [ev] = analyze("Australian trade unions said they have launched week-long strikes in "
                   "New South Wales.").events
    assert (ev.event_type, ev.cameo_code, ev.actor_role) == ("PROTEST", "143", "LAB")
    [ev] = analyze("Israel launched strikes on Gaza.").events
    assert (ev.event_type, ev.actor_country) == ("ASSAULT", "ISR")


def test_striking_a_deal_and_deploying_efforts(nlp):
    [ev] = analyze("CGE struck a deal with ITT Corp to create a telecommunications group.").events
    assert (ev.event_type, ev.cameo_code) == ("SUPPORT", "057")
    assert events_of("Iran and Algeria had deployed considerable efforts to stabilise prices.") == []
    [ev] = analyze("Russia deployed troops to the Belarus border.").events
    assert (ev.event_type, ev.actor_country) == ("MOBILIZE", "RUS")


def test_taking_a_position_that_is_a_view(nlp):
    assert events_of("The United States has been taking the position that countries that "
                     "reform should be encouraged.") == []
    [ev] = analyze("Rebels took army positions near Kidal.").events
    assert (ev.event_type, ev.actor_text) == ("ASSAULT", "Rebels")


def test_yielding_and_returning(nlp):
    # "bowed to pressure", "pulled back" (the parser's adverb is the particle), "handed over"
    # and "returned" people are concessions and returns; "raised its alert level" a show of force
    for text, want in [
        ("The junta bowed to international pressure and set a date for elections.", "CONCEDE"),
        ("Egypt relaxed curbs on foreign journalists.", "CONCEDE"),
        ("The army pulled back from positions around the city.", "RETREAT"),
        ("Hamas handed over four hostages to the Red Cross.", "RETREAT"),
        ("Hamas returned the bodies of four hostages.", "RETREAT"),
        ("Seoul raised its military alert level after the missile launch.", "MOBILIZE"),
        ("Police deployed water cannon and armoured vehicles in the city centre.", "MOBILIZE"),
    ]:
        assert want in {e.event_type for e in analyze(text).events}, text
    assert events_of("Israel returned home on Friday.") == []
    assert "RETREAT" not in {e.event_type for e in analyze("The minister returned the call.").events}


def test_strikes_and_blasts_by_phrase(nlp):
    # "+on strike": the preposition with its object; "blew himself up": a bombing
    [ev] = analyze("Dock workers went on strike over pay.").events
    assert (ev.event_type, ev.cameo_code) == ("PROTEST", "143")
    assert events_of("Dock workers went on television to complain.") == []
    [ev] = analyze("A suicide bomber blew himself up at a market in Kabul.").events
    assert (ev.event_type, ev.cameo_code) == ("ASSAULT", "183")


def test_headline_verbs_of_states(nlp):
    # a state that hits a place attacks it; one that hits another with tariffs coerces it;
    # "X to visit Y" parsed as an infinitival relative is still a headline's plan
    for text, want in [
        ("Ukraine hits Russian oil refinery with drones", ("ASSAULT", "Ukraine")),
        ("The U.S. hit China with new tariffs.", ("COERCE", "The U.S.")),
        ("Hungary blocks EU sanctions package", ("REJECT", "Hungary")),
        ("Pakistan seeks IMF bailout", ("REQUEST", "Pakistan")),
        ("U.S. approves $1 billion arms package for Ukraine", ("AID", "U.S.")),
        ("Macron to visit China next month", ("CONSULT", "Macron")),
    ]:
        assert want in {(e.event_type, e.actor_text) for e in analyze(text).events}, text
    assert events_of("Japan's exports to China hit a record high.") == []
    assert events_of("Calls to withdraw the bill grew louder.") == []


def test_duties_chances_and_anonymous_sources_are_no_acts(nlp):
    # a modal says what must or could happen; "asked to remain anonymous" asks nothing; a
    # gerund after a preposition is no noun of a PETRARCH pattern; a "by" phrase is the doer
    assert events_of("Each nation must negotiate its debt independently.") == []
    assert events_of("Tokyo could remove the tariffs next year.") == []
    assert events_of("One official, who asked to remain anonymous, told Reuters the talks "
                     "had stalled.") == []
    assert {(e.event_type, e.trigger) for e in analyze(
        "About 6,000 miners resumed work at the mine after protesting the transfer of "
        "colleagues.").events} == {("PROTEST", "protest")}  # the protest, not the resumption
    assert "ASSAULT" not in {e.event_type for e in analyze(
        "The Andean Development Corp said it is lending 11.7 mln dlrs to Ecuador to help "
        "repair 25 miles of oil pipeline destroyed by an earthquake.").events}


def test_what_did_not_or_will_not_happen(nlp):
    [ev] = analyze("No political demands were made by the rebels, Du Plessis said.").events
    assert (ev.event_type, ev.negated) == ("REQUEST", True)
    [ev] = analyze("Russia withdrew no troops.").events
    assert ev.negated is True
    assert events_of("Kuwait hopes Iran would be reluctant to launch new missiles at its "
                     "tankers.") == []
    # a single speaker's "they" are others: the Kuwaitis asked, not the official
    found = {(e.event_type, e.actor_text) for e in analyze(
        '"The Kuwaitis said they have asked Britain to lease tankers," one official said.').events}
    assert ("REQUEST", "one official") not in found
    [ev] = analyze("The United States was beefing up its Gulf fleet.").events
    assert (ev.event_type, ev.cameo_code) == ("MOBILIZE", "154")


def test_two_parties_welcoming_is_two_welcomes(nlp):
    # praise is directed: each party of "A and B welcomed" welcomes; a meeting or a signed
    # agreement of A and B is one act, one with the other
    found = {(e.event_type, e.actor_text, e.target_text) for e in analyze(
        "Russia and China welcomed the ceasefire agreement between Armenia and Azerbaijan.").events
        if e.event_type == "SUPPORT"}
    assert {a for _, a, _ in found} == {"Russia", "China"}
    [ev] = analyze("Israel and the UAE signed an agreement in Washington.").events
    assert (ev.event_type, ev.actor_text, ev.target_text) == ("SUPPORT", "Israel", "United Arab Emirates")


def test_what_is_received_from_someone_is_his_act(nlp):
    # PETRARCH's reverse codes: "received a loan from X" is X's aid to the receiver
    [ev] = analyze("The Philippines has received a 300 mln dlr loan from the Japanese "
                   "Export-Import Bank.").events
    assert (ev.event_type, ev.actor_country, ev.target_country) == ("AID", "JPN", "PHL")
    assert events_of("Ukraine received a loan.") == []  # from nobody named
    assert events_of("The company received a letter from the ministry.") == []
