"""`foibot eval FILE.jsonl [--json]`: how often foibot gets labelled replies right.

Each record has `text`, or `path`/`eml` (relative to the JSONL file), and the labels
`outcome`, `labels`, `exemptions` (normalised citations), optionally `jurisdiction`.
Every record goes through the same path as a real reply (extract -> classify -> ...).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import UserError
from bot.model import Outcome, Triage

CLASSES = [o.value for o in Outcome]


@dataclass
class Record:
    id: str
    outcome: str
    labels: list[str]
    exemptions: list[str]
    jurisdiction: str | None
    text: str | None = None
    path: Path | None = None


@dataclass
class Prediction:
    record: Record
    outcome: str
    labels: list[str]
    exemptions: list[str]
    needs_review: bool
    confidence: float
    jurisdiction: str


@dataclass
class Report:
    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]
    labels_f1: float
    exemption_precision: float
    exemption_recall: float
    exemption_f1: float
    needs_review_rate: float
    accuracy_when_confident: float
    full_disclosure_precision: float
    jurisdiction_accuracy: float | None
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def load_records(path: Path) -> list[Record]:
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if "outcome" not in raw:
            raise UserError(f"{path}:{number}: record has no 'outcome'")
        if raw["outcome"] not in CLASSES:
            raise UserError(f"{path}:{number}: unknown outcome {raw['outcome']!r}")
        ref = raw.get("path") or raw.get("eml")
        if not raw.get("text") and not ref:
            raise UserError(f"{path}:{number}: record needs 'text', 'path' or 'eml'")
        records.append(
            Record(
                id=str(raw.get("id", number)),
                outcome=raw["outcome"],
                labels=list(raw.get("labels") or [raw["outcome"]]),
                exemptions=list(raw.get("exemptions") or []),
                jurisdiction=raw.get("jurisdiction"),
                text=raw.get("text"),
                path=(path.parent / ref) if ref else None,
            )
        )
    return records


def predict(records: list[Record], triager=None, progress=None) -> list[Prediction]:
    from bot.stages import extract
    from bot.triage import Triager

    triager = triager or Triager()
    out = []
    for i, rec in enumerate(records):
        if rec.text is not None:
            letter = extract.letter_from_document(rec.text.encode("utf-8"), f"{rec.id}.txt", triager.limits)
            result: Triage = triager.triage_letter(letter)
        else:
            result = triager.triage_path(rec.path)
        out.append(
            Prediction(
                record=rec,
                outcome=result.outcome.value,
                labels=[label.value for label in result.labels],
                exemptions=[e.citation for e in result.exemptions],
                needs_review=result.needs_review,
                confidence=result.confidence,
                jurisdiction=result.jurisdiction,
            )
        )
        if progress:
            progress(i + 1, len(records))
    return out


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(predictions: list[Prediction]) -> Report:
    n = len(predictions)
    gold_classes = sorted({p.record.outcome for p in predictions}, key=CLASSES.index)
    confusion: dict[str, dict[str, int]] = {g: Counter() for g in CLASSES}
    for p in predictions:
        confusion[p.record.outcome][p.outcome] += 1
    per_class = {}
    for cls in CLASSES:
        tp = confusion[cls][cls]
        fp = sum(confusion[g][cls] for g in CLASSES if g != cls)
        fn = sum(v for o, v in confusion[cls].items() if o != cls)
        if tp + fp + fn == 0:
            continue
        pr, rc, f1 = _prf(tp, fp, fn)
        per_class[cls] = {"precision": round(pr, 3), "recall": round(rc, 3), "f1": round(f1, 3), "support": tp + fn}
    macro = sum(per_class[c]["f1"] for c in gold_classes) / len(gold_classes) if gold_classes else 0.0

    ltp = lfp = lfn = 0
    etp = efp = efn = 0
    for p in predictions:
        gold, pred = set(p.record.labels), set(p.labels)
        ltp, lfp, lfn = ltp + len(gold & pred), lfp + len(pred - gold), lfn + len(gold - pred)
        gold_e, pred_e = set(p.record.exemptions), set(p.exemptions)
        etp, efp, efn = etp + len(gold_e & pred_e), efp + len(pred_e - gold_e), efn + len(gold_e - pred_e)
    ep, er, ef = _prf(etp, efp, efn)
    if etp + efp + efn == 0:
        ep = er = ef = 1.0

    confident = [p for p in predictions if not p.needs_review]
    correct = sum(p.outcome == p.record.outcome for p in predictions)
    with_law = [p for p in predictions if p.record.jurisdiction]
    errors = [
        {
            "id": p.record.id,
            "gold": p.record.outcome,
            "predicted": p.outcome,
            "gold_exemptions": p.record.exemptions,
            "predicted_exemptions": p.exemptions,
            "needs_review": p.needs_review,
        }
        for p in predictions
        if p.outcome != p.record.outcome or set(p.exemptions) != set(p.record.exemptions)
    ]
    return Report(
        n=n,
        accuracy=round(correct / n, 3) if n else 0.0,
        macro_f1=round(macro, 3),
        per_class=per_class,
        confusion={g: dict(c) for g, c in confusion.items() if c},
        labels_f1=round(_prf(ltp, lfp, lfn)[2], 3),
        exemption_precision=round(ep, 3),
        exemption_recall=round(er, 3),
        exemption_f1=round(ef, 3),
        needs_review_rate=round(1 - len(confident) / n, 3) if n else 0.0,
        accuracy_when_confident=round(sum(p.outcome == p.record.outcome for p in confident) / len(confident), 3)
        if confident
        else 0.0,
        full_disclosure_precision=per_class.get("full_disclosure", {}).get("precision", 1.0),
        jurisdiction_accuracy=round(sum(p.jurisdiction == p.record.jurisdiction for p in with_law) / len(with_law), 3)
        if with_law
        else None,
        errors=errors,
    )


def evaluate(paths: list[Path], progress=None) -> Report:
    records = [r for path in paths for r in load_records(path)]
    if not records:
        raise UserError("no records to evaluate")
    return score(predict(records, progress=progress))


def print_report(report: Report, show_errors: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Outcome per class ({report.n} replies)")
    for col in ("class", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="right" if col != "class" else "left")
    for cls, m in report.per_class.items():
        table.add_row(cls, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(table)
    matrix = Table(title="Confusion (rows: labelled, columns: predicted)")
    present = [c for c in CLASSES if c in report.per_class]
    matrix.add_column("")
    for c in present:
        matrix.add_column(c[:8], justify="right")
    for g in present:
        row = report.confusion.get(g, {})
        matrix.add_row(g, *[str(row.get(c, "")) for c in present])
    console.print(matrix)
    console.print(
        f"accuracy {report.accuracy:.3f}  macro-F1 {report.macro_f1:.3f}  labels F1 {report.labels_f1:.3f}\n"
        f"exemptions P {report.exemption_precision:.3f} R {report.exemption_recall:.3f} F1 {report.exemption_f1:.3f}\n"
        f"needs review {report.needs_review_rate:.1%}  accuracy when confident {report.accuracy_when_confident:.3f}  "
        f"full_disclosure precision {report.full_disclosure_precision:.3f}"
        + (f"  jurisdiction accuracy {report.jurisdiction_accuracy:.3f}" if report.jurisdiction_accuracy is not None else "")
    )
    if show_errors:
        for e in report.errors:
            console.print(f"- {e['id']}: {e['gold']} -> {e['predicted']}  {e['gold_exemptions']} -> {e['predicted_exemptions']}")


def cmd_eval(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.path.split(",")]
    show = not args.json and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show and (done % 10 == 0 or done == total):
            print(f"\r{done}/{total} replies", end="" if done < total else "\n", file=sys.stderr)

    report = evaluate(paths, progress=progress)
    if args.json:
        data = report.as_dict()
        if not args.errors:
            data.pop("errors")
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_report(report, args.errors)
    return 0
