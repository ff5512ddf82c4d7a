"""Write seeds/actors_phoenix.tsv.gz, the actor coder's dictionary, from PETRARCH2's Phoenix
dictionaries and newsduck's additions (seeds/actors_newsduck.txt).

    .venv/bin/python seeds/make_actor_dictionary.py [--petrarch DIR] [--out FILE]

DIR defaults to ../shared/reference/petrarch2 (next to the repository): openeventdata/petrarch2
@ 676801cd9cb2924bbbad09f86d15c9323e7097bf, data/dictionaries/Phoenix.Countries.actors.txt,
Phoenix.International.actors.txt, Phoenix.MilNonState.actors.txt, Phoenix.agents.txt (MIT; the
licence is copied to seeds/LICENSE.petrarch2). The output is deterministic (gzip without a
timestamp); the counts printed are entries, synonyms, codes, dated codes, agents and what was
skipped by reason.

What the coder cannot use is left out: comments, entries with no valid code, phrases of one
character or digits only, "(...)" parts of phrases (acronyms in brackets are ambiguous), codes
with a malformed date, and phrases repeated with the same codes (the International file lists
the UN three times). Phrases are stored as lookup keys (lower case, no diacritics, no
punctuation); dates as YYYYMMDD.
"""

from __future__ import annotations

import argparse
import gzip
import io
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from transforms.coding.actors import (  # noqa: E402
    COUNTRIES,
    ActorDictionary,
    ActorEntry,
    AgentEntry,
    format_actor_seed,
    parse_petrarch_actors,
    parse_petrarch_agents,
)

SOURCE = "openeventdata/petrarch2 @ 676801cd9cb2924bbbad09f86d15c9323e7097bf"
DEFAULT_DIR = ROOT.parent / "shared" / "reference" / "petrarch2"
OUT = ROOT / "seeds" / "actors_phoenix.tsv.gz"
ADDITIONS = ROOT / "seeds" / "actors_newsduck.txt"
LICENSE = ROOT / "seeds" / "LICENSE.petrarch2"
ACTOR_FILES = (("Phoenix.Countries.actors.txt", COUNTRIES), ("Phoenix.International.actors.txt", "I"),
               ("Phoenix.MilNonState.actors.txt", "M"))
AGENT_FILE = "Phoenix.agents.txt"
AGENTS_MARK = "#### AGENTS ####"


def _dedupe(entries: list[ActorEntry], skipped: Counter[str]) -> list[ActorEntry]:
    """Drop phrases an earlier entry already has with the same codes, and entries left empty."""
    seen: set[tuple[str, tuple]] = set()
    out = []
    for entry in entries:
        phrases = []
        for phrase in entry.phrases:
            key = (phrase, entry.codes)
            if key in seen:
                skipped["phrase_repeated_with_same_codes"] += 1
            else:
                seen.add(key)
                phrases.append(phrase)
        if phrases:
            out.append(ActorEntry(tuple(phrases), entry.codes, entry.source))
    return out


def build(petrarch: Path, additions: Path) -> tuple[list[ActorEntry], list[AgentEntry], dict]:
    """The entries and agents of the seed, and the counts to print."""
    entries: list[ActorEntry] = []
    skipped: Counter[str] = Counter()
    per_file: dict[str, Counter[str]] = {}
    for name, source in ACTOR_FILES:
        lines = (petrarch / name).read_text(encoding="utf-8").splitlines()
        found, why = parse_petrarch_actors(lines, source)
        entries += found
        skipped.update(why)
        per_file[name] = _actor_counts(found)
    agents, why = parse_petrarch_agents((petrarch / AGENT_FILE).read_text(encoding="utf-8").splitlines())
    skipped.update({f"agents: {k}": v for k, v in why.items()})
    per_file[AGENT_FILE] = Counter(agents=len(agents), forms=sum(len(a.phrases) for a in agents))
    own_actors, _, own_agents = additions.read_text(encoding="utf-8").partition(AGENTS_MARK)
    found, why = parse_petrarch_actors(own_actors.splitlines(), "N")
    extra_agents, why_agents = parse_petrarch_agents(own_agents.splitlines())
    skipped.update({f"newsduck: {k}": v for k, v in (why + why_agents).items()})
    per_file[additions.name] = _actor_counts(found) + Counter(agents=len(extra_agents))
    overridden = {p for a in extra_agents for p in a.phrases}
    replaced = sum(1 for a in agents for p in a.phrases if p in overridden)
    entries = _dedupe(entries + found, skipped)
    agents += extra_agents
    return entries, agents, {"files": per_file, "skipped": skipped,
                             "agent_forms_overridden": replaced}


def _actor_counts(entries: list[ActorEntry]) -> Counter[str]:
    codes = [c for e in entries for c in e.codes]
    return Counter(entries=len(entries), synonyms=sum(len(e.phrases) - 1 for e in entries),
                   codes=len(codes), dated_codes=sum(c.dated for c in codes),
                   distinct_codes=len({c.code for c in codes}))


def _ambiguous(dictionary: ActorDictionary) -> int:
    """Phrases whose entries name different countries: the coder leaves them uncoded unless
    the date picks one."""
    n = 0
    for ids in dictionary.actors.values():
        if len(ids) > 1:
            countries = defaultdict(set)
            for i in ids:
                countries[i] = {dictionary.code_of(c.code).country or c.code[:3]
                                for c in dictionary.entries[i].codes}
            if len(set().union(*countries.values())) > 1:
                n += 1
    return n


def write(entries: list[ActorEntry], agents: list[AgentEntry], out: Path) -> bytes:
    """Write the gzipped seed; returns its bytes (deterministic: no name, no timestamp)."""
    header = [
        "# newsduck actor dictionary, written by seeds/make_actor_dictionary.py: do not edit by hand",
        f"# source: {SOURCE} data/dictionaries/Phoenix.Countries.actors.txt,",
        "#   Phoenix.International.actors.txt, Phoenix.MilNonState.actors.txt, Phoenix.agents.txt",
        "#   (MIT License, Copyright (c) 2014 Open Event Data Alliance: seeds/LICENSE.petrarch2),",
        "#   plus seeds/actors_newsduck.txt (source N)",
        "# A<TAB>source (C countries, I international, M militant non-state, N newsduck)<TAB>codes"
        "<TAB>phrase|phrase",
        "#   a code is CODE, CODE:from-to, CODE:-before or CODE:from- (YYYYMMDD, to exclusive)",
        "# G<TAB>agent code (~XXX appended to the actor's code, XXX~ put before it)<TAB>phrase|phrase",
    ]
    text = "\n".join(header + format_actor_seed(entries, agents)) + "\n"
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as f:
        f.write(text.encode("utf-8"))
    data = buffer.getvalue()
    out.write_bytes(data)
    return data


def main(argv: list[str] | None = None) -> None:
    """Write the seed and print its counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--petrarch", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--additions", type=Path, default=ADDITIONS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    entries, agents, counts = build(args.petrarch, args.additions)
    data = write(entries, agents, args.out)
    if not LICENSE.exists():
        shutil.copyfile(args.petrarch / "LICENSE", LICENSE)
    dictionary = ActorDictionary(entries, agents)
    for name, c in counts["files"].items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    codes = [c for e in entries for c in e.codes]
    print(f"seed: {len(entries)} actor entries, {sum(len(e.phrases) for e in entries)} phrases "
          f"({sum(len(e.phrases) - 1 for e in entries)} synonyms), {len(codes)} codes "
          f"({sum(c.dated for c in codes)} dated, {len({c.code for c in codes})} distinct), "
          f"{len(dictionary.actors)} lookup keys, {len(dictionary.countries)} countries; "
          f"{len(agents)} agents ({len(dictionary.agents)} forms; "
          f"{counts['agent_forms_overridden']} Phoenix forms replaced by newsduck's)")
    print(f"phrases whose entries name different countries (uncoded unless a date decides): "
          f"{_ambiguous(dictionary)}")
    print("skipped: " + (", ".join(f"{k} {v}" for k, v in sorted(counts["skipped"].items())) or "none"))
    print(f"wrote {args.out} ({len(data):,} bytes gzipped)")


if __name__ == "__main__":
    main()
