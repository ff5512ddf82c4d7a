"""The PETRARCH2 / Phoenix actor dictionaries (pure): their entries, the word keys they are matched
by, and how they are read — from PETRARCH's text formats (`parse_petrarch_actors`,
`parse_petrarch_agents`, used by seeds/make_actor_dictionary.py and the benches) and from the
compact seed that generator writes (`format_actor_seed`, `read_actor_seed`). The coder that uses
them is transforms/coding/actors.py.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from transforms.nlp.names import fold

COUNTRIES = "C"  # source tag of the country dictionary: its bare 3-letter codes are countries
NULL_CODE = "---"  # PETRARCH's "known, do not code": blocks shorter matches

_POSSESSIVE = re.compile(r"'s\b|(?<=s)'(?=\s|$)")
_NON_WORD = re.compile(r"[\W_]+")
_BRACKET = re.compile(r"\[([^\]]*)\]")
_PAREN = re.compile(r"\([^)]*\)")
_CODE = re.compile(r"[A-Z0-9]{3,}")


def words_of(text: str) -> list[str]:
    """Matching words: folded, casefolded, no possessive, dots and apostrophes dropped ("U.N." ->
    "un"), other punctuation a break ("al-Qaeda" -> "al", "qaeda")."""
    text = fold(text).casefold().replace("\u2019", "'")
    text = _POSSESSIVE.sub("", text).replace(".", "").replace("'", "")
    return _NON_WORD.sub(" ", text).split()


def phrase_key(text: str) -> str:
    """The lookup key of a name or dictionary phrase (words_of, joined by spaces)."""
    return " ".join(words_of(text.replace("_", " ")))


@dataclass(frozen=True, slots=True)
class CodeSpan:
    """One code of an actor entry and when it holds (start inclusive, end exclusive)."""

    code: str
    start: date | None = None
    end: date | None = None

    @property
    def dated(self) -> bool:
        return self.start is not None or self.end is not None

    def holds(self, when: date) -> bool:
        return (self.start is None or when >= self.start) and (self.end is None or when < self.end)

    def seed(self) -> str:
        """"LBYGOV", "LBYGOV:19690901-20110823", "LBYGOV:-20110823", "LBYGOV:19690901-"."""
        if not self.dated:
            return self.code
        a = self.start.strftime("%Y%m%d") if self.start else ""
        b = self.end.strftime("%Y%m%d") if self.end else ""
        return f"{self.code}:{a}-{b}"


@dataclass(frozen=True, slots=True)
class ActorEntry:
    """A dictionary entry: its phrases (lookup keys), its codes in order, its source file tag."""

    phrases: tuple[str, ...]
    codes: tuple[CodeSpan, ...]
    source: str  # C (countries), I (international), M (militant non-state), N (newsduck's own)


@dataclass(frozen=True, slots=True)
class AgentEntry:
    """An agent noun in all its forms and its code: "~MIL" appends a role, "IGO~" prefixes."""

    phrases: tuple[str, ...]
    code: str


def _uncommented(lines: Iterable[str]) -> Iterable[str]:
    """Lines without "#" comments and <!-- --> comments (which may span lines)."""
    in_comment = False
    for line in lines:
        out = ""
        while line:
            if in_comment:
                end = line.find("-->")
                if end < 0:
                    line = ""
                    break
                line, in_comment = line[end + 3:], False
            else:
                start = line.find("<!")
                if start < 0:
                    out, line = out + line, ""
                else:
                    out, line, in_comment = out + line[:start], line[start:], True
        out = out.split("#", 1)[0]
        if out.strip():
            yield out.rstrip()


def _date(text: str) -> date:
    """A PETRARCH date: YYYYMMDD, or YYMMDD with 00-30 read as 20YY; ValueError otherwise."""
    if not text.isdigit() or len(text) not in (6, 8):
        raise ValueError(text)
    if len(text) == 6:
        year = int(text[:2])
        return date(year + (2000 if year <= 30 else 1900), int(text[2:4]), int(text[4:6]))
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def parse_code(group: str) -> CodeSpan:
    """A bracketed code without its brackets: "HRVGOV 900530-991210", "HRV >920115", "YUGHRV <910625".

    Raises:
        ValueError: the code or its date restriction is malformed.
    """
    parts = group.split(None, 1)
    if not parts:
        raise ValueError("empty code")
    code = parts[0].upper()
    if code != NULL_CODE and not _CODE.fullmatch(code):
        raise ValueError(code)
    rest = parts[1].replace(" ", "") if len(parts) > 1 else ""
    if not rest:
        return CodeSpan(code)
    if rest[0] == "<":
        return CodeSpan(code, None, _date(rest[1:]))
    if rest[0] == ">":
        return CodeSpan(code, _date(rest[1:]), None)
    if "-" in rest:
        a, _, b = rest.partition("-")
        return CodeSpan(code, _date(a), _date(b))
    return CodeSpan(code, _date(rest), None)


def _phrases(raw: str, skipped: Counter[str], key_of: Callable[[str], str]) -> list[str]:
    """Keys of a dictionary phrase ("+"-joined synonyms split, "(...)" parts dropped)."""
    out = []
    for part in raw.split("+"):
        if "(" in part:
            skipped["parenthesised_part_dropped"] += 1
            part = _PAREN.sub(" ", part)
        key = key_of(part)
        if len(key.replace(" ", "")) < 2 or key.replace(" ", "").isdigit():
            if part.strip(" _"):
                skipped["phrase_too_short"] += 1
            continue
        out.append(key)
    return out


def parse_petrarch_actors(lines: Iterable[str], source: str, key_of: Callable[[str], str] = phrase_key,
                          ) -> tuple[list[ActorEntry], Counter[str]]:
    """Entries of a PETRARCH actor dictionary (Phoenix.*.actors.txt, PETR.Validate.actors.txt).

    Args:
        lines: the file's lines.
        source: the tag the entries carry (COUNTRIES for a dictionary whose bare 3-letter codes
            are countries).
        key_of: how a phrase is stored (default: its lookup key; the news gazetteer keeps the
            words with their punctuation).

    Returns:
        The entries in file order and the skipped parts by reason.
    """
    skipped: Counter[str] = Counter()
    entries: list[ActorEntry] = []
    phrases: list[str] = []
    codes: list[CodeSpan] = []

    def flush() -> None:
        if phrases and codes:
            entries.append(ActorEntry(tuple(dict.fromkeys(phrases)), tuple(codes), source))
        elif phrases:
            skipped["entry_without_code"] += 1

    for line in _uncommented(lines):
        text = _BRACKET.sub(" ", line).strip()
        if text and not text.startswith("+"):
            flush()
            phrases, codes = _phrases(text, skipped, key_of), []
            if not phrases:
                skipped["entry_without_phrase"] += 1
        elif text:
            phrases += _phrases(text[1:], skipped, key_of)
        for group in _BRACKET.findall(line):
            try:
                codes.append(parse_code(group))
            except ValueError:
                skipped["malformed_code"] += 1
    flush()
    return entries, skipped


def parse_petrarch_agents(lines: Iterable[str]) -> tuple[list[AgentEntry], Counter[str]]:
    """Entries of a PETRARCH agent dictionary: `PHRASE {plural} [~CODE]`, `!MARKER! = A, B`.

    Plurals as PETRARCH makes them: given in {...} ({} = none), else +S, Y -> IES, S -> SES;
    a !MARKER! phrase is expanded with each member of its set and gets no plural.
    """
    skipped: Counter[str] = Counter()
    markers: dict[str, list[str]] = {}
    out: list[AgentEntry] = []
    for line in _uncommented(lines):
        if "!" in line and "=" in line:
            name, _, members = line.partition("=")
            markers[name.strip().strip("!")] = [m.strip() for m in members.split(",") if m.strip()]
            continue
        phrase, bracket, rest = line.partition("[")
        code = rest.partition("]")[0].replace(" ", "").upper()
        if not bracket or not re.fullmatch(r"~[A-Z0-9]{3,}|[A-Z0-9]{3,}~", code):
            skipped["agent_without_valid_code"] += 1
            continue
        phrase = phrase.strip()
        forms: list[str]
        if "!" in phrase:
            before, _, after = phrase.partition("!")
            marker, _, after = after.partition("!")
            if marker not in markers:
                skipped["unknown_marker"] += 1
                continue
            forms = [before + m + after for m in markers[marker]]
        elif "{" in phrase:
            singular, _, plural = phrase.partition("{")
            forms = [singular, plural.partition("}")[0]]
        else:
            last = phrase.rstrip("_")[-1:]
            stem = phrase.rstrip("_")
            forms = [phrase, stem[:-1] + "IES" if last == "Y" else stem + ("ES" if last == "S" else "S")]
        keys = [k for k in (phrase_key(f) for f in forms) if k]
        if keys:
            out.append(AgentEntry(tuple(dict.fromkeys(keys)), code))
    return out, skipped


def format_actor_seed(entries: Iterable[ActorEntry], agents: Iterable[AgentEntry]) -> list[str]:
    """Seed lines: `A<TAB>source<TAB>codes<TAB>phrase|phrase`, `G<TAB>code<TAB>phrase|phrase`."""
    lines = [f"A\t{e.source}\t{' '.join(c.seed() for c in e.codes)}\t{'|'.join(e.phrases)}"
             for e in entries]
    lines += [f"G\t{a.code}\t{'|'.join(a.phrases)}" for a in agents]
    return lines


def read_actor_seed(lines: Iterable[str]) -> tuple[list[ActorEntry], list[AgentEntry]]:
    """Entries and agents from seed lines (format_actor_seed; "#" lines and blank lines skipped)."""
    entries: list[ActorEntry] = []
    agents: list[AgentEntry] = []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "A" and len(fields) == 4:
            codes = []
            for item in fields[2].split():
                code, _, span = item.partition(":")
                a, _, b = span.partition("-")
                codes.append(CodeSpan(code, _date(a) if a else None, _date(b) if b else None))
            entries.append(ActorEntry(tuple(fields[3].split("|")), tuple(codes), fields[1]))
        elif fields[0] == "G" and len(fields) == 3:
            agents.append(AgentEntry(tuple(fields[2].split("|")), fields[1]))
    return entries, agents
