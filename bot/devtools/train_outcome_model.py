"""Train the learned outcome fallback (`bot/stages/learned.py`) and write it to `models/`.

    .venv/bin/python -m bot.devtools.train_outcome_model [--letters DIR] [--out DIR]

Reads the tuning split of the letters written for the project (`*_tune.jsonl` in
`tests/fixtures/letters`; the held-out split is never read) and writes
`models/outcome_textcat/` (`cfg` and `model`; the vocabulary is the entity model's).
The same letters give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from bot.rulebook import MODELS_DIR
from bot.stages import learned

ROOT = Path(__file__).resolve().parents[2]
LETTERS_DIR = ROOT / "tests" / "fixtures" / "letters"
TRAINING_SPLITS = ("uk_tune.jsonl", "intl_tune.jsonl")


def training_letters(letters_dir: Path = LETTERS_DIR) -> list[tuple[str, str]]:
    """(letter text, labelled outcome) for every letter of the tuning split, in file order."""
    letters = []
    for name in TRAINING_SPLITS:
        with open(letters_dir / name, encoding="utf-8") as index:
            for line in index:
                if line.strip():
                    record = json.loads(line)
                    letters.append(((letters_dir / record["path"]).read_text(encoding="utf-8"), record["outcome"]))
    return letters


def write_model(out_dir: Path, letters_dir: Path = LETTERS_DIR) -> int:
    """Train on the tuning split and write the component to `out_dir`; returns the letters used."""
    letters = training_letters(letters_dir)
    component = learned.train(letters)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    component.to_disk(out_dir, exclude=learned.NOT_STORED)
    return len(letters)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=Path, default=LETTERS_DIR, help="folder with the *_tune.jsonl indexes")
    parser.add_argument("--out", type=Path, default=MODELS_DIR / learned.MODEL_DIR_NAME, help="where to write the model")
    args = parser.parse_args(argv)
    missing = [name for name in TRAINING_SPLITS if not (args.letters / name).is_file()]
    if missing:
        print(f"error: no {', '.join(missing)} in {args.letters}", file=sys.stderr)
        return 2
    count = write_model(args.out, args.letters)
    print(f"trained on {count} letters; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
