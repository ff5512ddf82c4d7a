"""Quality figures: entity resolution and events against the gold set, article extraction
against the public benchmark.

    python bench/quality.py [--extraction-dir ../shared/eval/extraction] [--eval-dir ../shared/eval]

The gold set lives in tests/fixtures/gold/ (see its README); the extraction benchmark and the
development sets (bench/quality_dev.py: NER on Universal NER English, events on PETRARCH2's unit
tests) are not part of the repository: give their directories (the defaults are where this
workplace keeps them), or those figures are skipped with a note.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import quality_actors, quality_dev, quality_extraction, quality_geo, quality_nlp  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extraction-dir", type=Path, default=quality_extraction.DEFAULT_DIR)
    parser.add_argument("--eval-dir", type=Path, default=quality_dev.DEFAULT_DIR)
    args = parser.parse_args()
    print("== Entities and events (tests/fixtures/gold) ==")
    quality_nlp.main([])
    print()
    print(f"== Development sets ({args.eval_dir}) ==")
    quality_dev.main(["--eval-dir", str(args.eval_dir)])
    quality_actors.main(["--eval-dir", str(args.eval_dir)])
    quality_geo.main(["--eval-dir", str(args.eval_dir)])
    print()
    print("== Article extraction (body F1, 4-token shingles) ==")
    if (args.extraction_dir / "ground-truth.json").exists():
        quality_extraction.main([str(args.extraction_dir)])
    else:
        print(f"skipped: no benchmark at {args.extraction_dir} (pass --extraction-dir)")


if __name__ == "__main__":
    main()
