"""Train the invoice field ranker (ocrmill.invoices.ranker) on the development data, with grouped cross-validation.

    .venv/bin/python -m bench.train_invoices [--cache DIR] [--jobs N] [--folds 5] [--out FILE] [--limit N]
                                             [--cached-only]

Reads only ../shared/data (the sets of bench.invoices: SROIE receipts, rasterised ZUGFeRD / Factur-X invoices,
invoice2data), reads every page as the server does (recognise_page: Tesseract, and for unsure pages Tesseract
as one block and PP-OCR), turns every candidate the rules propose into features, and labels it by the ground
truth (the value right after bench.invoices' normalisation). Then:

1. grouped k-fold cross-validation: documents are grouped by vendor (SROIE, groups.csv) or generator family
   (ZUGFeRD, groups.csv), and each group's documents are all in one fold, so a model never scores a vendor or a
   generator it was trained on. The out-of-fold probabilities give the figures (F1 per set and field, as
   bench.invoices scores), the calibration (isotonic, fitted on the values the server reports out of fold, each
   with its raw share: the job's merge decides which page's value that is; its own figures
   come from calibrating on the other folds) and the threshold under which a field is not reported;
2. the model trained on all documents, written with the calibration to ocrmill/invoices/fields-model.json
   (LightGBM's text model in JSON; a few hundred KB).

--cache keeps each document's OCR (as bench.invoices --cache), so training again takes seconds. Deterministic:
the same data and code give the same model.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.invoices import LOADERS, SETS, Outcome, Reading, Sample, Tally, cache_file, normalise, ocr, score
from bench.isotonic import isotonic_blocks, reliability
from ocrmill.invoices.analyse import analyse_document, field_from_api
from ocrmill.invoices.lexicon import Lexicon, learn, loaded
from ocrmill.invoices.model import Field
from ocrmill.invoices.ranker import (
    ANY_FIELD,
    FEATURES,
    MODEL_FILE,
    RANKED,
    Bagged,
    Knots,
    Model,
    Scored,
    document_candidates,
    reported,
)

PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "lambdarank_truncation_level": 3,
    "eval_at": [1],
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 2,
    "deterministic": True,
    "seed": 7,
    "verbose": -1,
}
SEEDS = 3  # boosters per model, seeds seed, seed + 1, ... (ranker.Bagged): one seed's SROIE F1 moves by 0.002-0.005
ROUNDS = 100
CATEGORICAL = ("field", "kind", "rule")
CONFIDENT = 0.9  # the straight-through confidence: a field at or above it needs no review
CAUTION = 1.0  # z of the Wilson interval whose lower end a calibration block promises
FIELD_CALIBRATION = 40  # cross-validated values a field needs for a calibration of its own
SYNTHETIC = 200  # synthetic invoices in the training data (bench.synth_invoices)
BUCKETS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001)


@dataclass
class Document:
    sample: Sample
    scored: list[Scored]
    features: np.ndarray  # candidates x FEATURES
    labels: np.ndarray  # 1 right, 0 wrong, -1 unknown (the set has no truth for the field)
    readings: list[Reading] = field(default_factory=list)
    seconds: float = 0.0
    fold: int = 0
    raw: dict[str, Field] = field(default_factory=dict)  # raw_fields, with the model of the document's fold


def label(sample: Sample, candidate_field: str, normalized: str) -> int:
    if candidate_field not in sample.truth:
        return -1
    expected = normalise(candidate_field, sample.truth[candidate_field], truth=True)
    return int(expected is not None and normalise(candidate_field, normalized, truth=False) == expected)


SYNTHETIC_SEED = 20261205


def featurise(sample: Sample, langs: str, cache: str) -> Document:
    readings, seconds, _cpu = (ocr_synthetic if sample.set == "synthetic" else ocr)(sample, langs, cache)
    scored, rows = document_candidates([[page, *others] for page, others in readings])
    labels = np.array([label(sample, s.candidate.name, output_value(s)) for s in scored], dtype=np.int8)
    features = np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
    return Document(sample, scored, features, labels, readings, seconds)


def synthetic(count: int) -> list[Sample]:
    """bench.synth_invoices' invoices as samples (name = index): for training only, never scored."""
    from bench.synth_invoices import make_invoice

    out = []
    for index in range(count):
        invoice = make_invoice(index, SYNTHETIC_SEED)
        out.append(Sample("synthetic", str(index), Path(invoice.name), invoice.truth, f"synthetic-{invoice.template}"))
    return out


def ocr_synthetic(sample: Sample, langs: str, cache: str) -> tuple[list[Reading], float, float]:
    """A synthetic invoice's pages read as the server reads a page (recognise_page), cached like bench.invoices'."""
    from bench.invoices import _engines, cached_ocr, cleanup_version
    from bench.synth_invoices import make_invoice
    from ocrmill.pipeline.invoice_page import recognise_page
    from ocrmill.pipeline.languages import tessdata_dir

    def make() -> list[Reading]:
        invoice = make_invoice(int(sample.name), SYNTHETIC_SEED)
        readings: list[Reading] = []
        for number, image in enumerate(invoice.pages, start=1):
            seen = recognise_page(
                image,
                invoice.dpi,
                engines=_engines(),
                langs=langs.split("+"),
                number=number,
                tessdata=tessdata_dir(None),
            )
            readings.append((seen.page, seen.alternates))
        return readings

    where = (
        Path(cache) / "synthetic" / f"{SYNTHETIC_SEED}-{sample.name}.{langs}.{cleanup_version()}.pkl" if cache else None
    )
    return cached_ocr(where, make)


def output_value(s: Scored) -> str:
    """What the ranker reports as the candidate's normalised value (names lose registration numbers)."""
    return reported(s.candidate)[1]


# --- folds, training, choosing --------------------------------------------------------------------------------


def folds_of(documents: Sequence[Document], k: int) -> list[int]:
    """A fold per document: each set's groups, largest first, go to the fold with the fewest of that set's
    documents, so every fold holds some of every set and no group is in two folds. Synthetic invoices are in
    no fold (-1): every fold model trains on them, and none is scored."""
    fold_of_group: dict[str, int] = {}
    for set_name in dict.fromkeys(d.sample.set for d in documents if d.sample.set != "synthetic"):
        sizes: dict[str, int] = {}
        for d in documents:
            if d.sample.set == set_name:
                sizes[d.sample.group] = sizes.get(d.sample.group, 0) + 1
        load = [0] * k
        for group, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
            fold = min(range(k), key=lambda f: (load[f], f))
            fold_of_group[group] = fold
            load[fold] += size
    return [fold_of_group.get(d.sample.group, -1) if d.sample.set != "synthetic" else -1 for d in documents]


def train(documents: Sequence[Document]) -> Bagged:
    """SEEDS boosters over the documents' labelled candidates, alike but for their seed. With the ranking
    objective the candidates of one field of one document are one query (the model learns to put the right one
    first); the binary objective sees each candidate alone."""
    import lightgbm

    features, labels, groups = [], [], []
    for d in documents:
        known = d.labels >= 0
        names = np.array([RANKED.index(s.candidate.name) for s in d.scored])
        for name in sorted(set(names[known].tolist())):
            chosen = known & (names == name)
            features.append(d.features[chosen])
            labels.append(d.labels[chosen])
            groups.append(int(chosen.sum()))
    data = lightgbm.Dataset(
        np.concatenate(features),
        np.concatenate(labels),
        group=groups if PARAMS["objective"] == "lambdarank" else None,
        feature_name=list(FEATURES),
        categorical_feature=list(CATEGORICAL),
        free_raw_data=False,
    )
    seeds = range(PARAMS["seed"], PARAMS["seed"] + SEEDS)
    return Bagged([lightgbm.train({**PARAMS, "seed": seed}, data, num_boost_round=ROUNDS) for seed in seeds])


def raw_fields(document: Document, booster: Bagged, lexicon: Lexicon) -> dict[str, Field]:
    """The document's ranked fields as the server reports them (analyse_document: each page ranked, then the
    job's merge, which takes a heading field from the first page that has one), with the booster's raw share
    as the confidence: no calibration and no threshold yet. The calibration is fitted on these, so that it
    describes the values a user is shown."""
    fields = server_fields(document, Model(booster, {}, 0.0, lexicon))
    return {name: found for name, found in fields.items() if name in RANKED}


def thresholded(fields: dict[str, Field], model: Model) -> dict[str, Field]:
    """Raw fields (raw_fields) as the model reports them: calibrated, and dropped under its threshold."""
    out = {}
    for name, found in fields.items():
        confidence = model.calibrated(found.confidence, name)
        if confidence >= model.threshold:
            out[name] = replace(found, confidence=confidence)
    return out


# --- calibration (isotonic regression by pool-adjacent-violators) --------------------------------------------


def isotonic(raw: Sequence[float], right: Sequence[int]) -> list[tuple[float, float]]:
    """Knots (raw probability, share right) of the increasing step function that fits best; a block's knot
    stands at its mean raw probability."""
    return [(x, y) for x, y, _ in isotonic_blocks(raw, right)]


def cautious(blocks: Sequence[tuple[float, float, int]], z: float = CAUTION) -> list[tuple[float, float]]:
    """The blocks' shares lowered to the Wilson score interval's lower end (a block of 10 right of 10 says
    0.91 at z=1, one of 200 right of 200 0.995), then made increasing again by lowering earlier knots: a
    confidence of 0.9 promises at least 0.9, also where the cross-validation saw few values."""
    knots = []
    for x, p, n in blocks:
        centre = p + z * z / (2 * n)
        spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        knots.append((x, round(max(0.0, (centre - spread) / (1 + z * z / n)), 6)))
    for i in range(len(knots) - 2, -1, -1):
        knots[i] = (knots[i][0], min(knots[i][1], knots[i + 1][1]))
    return knots


def scored_documents(documents: Sequence[Document]) -> list[Document]:
    """The real documents: those the figures are about (synthetic invoices only train)."""
    return [d for d in documents if d.sample.set != "synthetic"]


Pair = tuple[Document, str, float, int]  # (document, field, raw share, right)


def reported_pairs(documents: Sequence[Document]) -> list[Pair]:
    """Each document's reported value per field whose truth the set knows, with its raw share and whether it
    is right."""
    out = []
    for d in scored_documents(documents):
        for name, found in d.raw.items():
            if name in d.sample.truth:
                out.append((d, name, found.confidence, label(d.sample, name, found.normalized)))
    return out


# --- the run ------------------------------------------------------------------------------------------------


def load(
    names: Sequence[str], *, limit: int, cache: str, jobs: int, cached_only: bool, langs: str, synthetic_count: int = 0
) -> list[Document]:
    samples = [s for name in names for s in LOADERS[name]()[: limit or None]]
    if cached_only and cache:
        samples = [s for s in samples if cache_file(Path(cache), s, langs).is_file()]
    samples += synthetic(synthetic_count)
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(featurise, samples, [langs] * len(samples), [cache] * len(samples)))


def fit_calibration(pairs: Sequence[tuple[Document, str, float, int]]) -> dict[str, Knots]:
    """Isotonic knots for every field with at least FIELD_CALIBRATION cross-validated values, and for all
    fields together (ANY_FIELD), each block's share taken cautiously (`cautious`)."""
    out = {ANY_FIELD: cautious(isotonic_blocks([p[2] for p in pairs], [p[3] for p in pairs]))}
    for name in sorted({p[1] for p in pairs}):
        mine = [p for p in pairs if p[1] == name]
        if len(mine) >= FIELD_CALIBRATION:
            out[name] = cautious(isotonic_blocks([p[2] for p in mine], [p[3] for p in mine]))
    return out


def text_lexicon(documents: Sequence[Document]) -> dict[str, list[str]]:
    """The lexicon (ocrmill.invoices.lexicon) of the real documents' true text values, by vendor group."""
    return learn(
        (d.sample.group, name, value)
        for d in scored_documents(documents)
        for name, value in d.sample.truth.items()
        if isinstance(value, str)
    )


def cross_validate(documents: list[Document], k: int) -> tuple[list[Model], dict[str, Knots], float]:
    """Out-of-fold probabilities for every document; returns the fold models (booster and lexicon, each learned
    from the other folds), the calibration fitted on the out-of-fold results and the highest threshold whose F1
    over all sets is within one value of the best."""
    folds = folds_of(documents, k)
    models = []
    for fold in range(k):
        trained = [d for d, f in zip(documents, folds, strict=True) if f != fold]
        model = Model(train(trained), {}, 0.0, loaded(text_lexicon(trained)))
        models.append(model)
        for d, f in zip(documents, folds, strict=True):
            if f == fold:  # (synthetic invoices, in no fold, are trained on by every fold and never scored)
                d.fold = fold
                d.raw = raw_fields(d, model.booster, model.lexicon)
    calibration = fit_calibration(reported_pairs(documents))
    thresholds = [t / 100 for t in range(5, 80, 5)]
    f1s = [_f1_all(documents, Model(None, calibration, t)) for t in thresholds]
    # The F1 is flat over a wide range (0.20-0.40 within 0.001 on receipts and invoices), where the argmax
    # moved with every retraining (0.20-0.35), and the small e-invoice sets with it. Within one value's worth
    # of F1 of the best, the highest threshold: a value not reported is asked for, a wrong one must be found.
    values = sum(1 for d in scored_documents(documents) for name in d.sample.truth if name in RANKED)
    best = max(f1s) - 1 / max(1, values)
    return models, calibration, max(t for t, f1 in zip(thresholds, f1s, strict=True) if f1 >= best)


def server_fields(d: Document, model: Model | None) -> dict[str, Field]:
    """The document's fields as the server finds a job's, with this model (bench.invoices.analyse)."""
    merged = analyse_document([p for p, _ in d.readings], [o for _, o in d.readings], model=model)
    return {name: field_from_api(name, value) for name, value in merged.fields.items()}


def _f1_all(documents: Sequence[Document], model: Model) -> float:
    """F1 over all real documents' ranked fields (the others have no truth here) with this calibration and
    threshold."""
    tally = Tally()
    for d in scored_documents(documents):
        outcome = Outcome("cv")
        score(outcome, d.sample, thresholded(d.raw, model))
        tally.add(outcome.total())
    return tally.f1


def report(documents: list[Document], models: Sequence[Model | None], title: str) -> dict[str, Any]:
    """F1 per set and field of the server's analysis, each document with the model of its fold (one model:
    every document with it)."""
    print(f"\n{title}")
    out: dict[str, Any] = {}
    for set_name in dict.fromkeys(d.sample.set for d in documents if d.sample.set != "synthetic"):
        outcome = Outcome(title)
        members = [d for d in documents if d.sample.set == set_name]
        for d in members:
            score(outcome, d.sample, server_fields(d, models[d.fold % len(models)]))
        outcome.pages += len(d.readings)
        total = outcome.total()
        print(
            f"  {set_name:<13} {len(members):>3} docs  P {total.precision:.3f}  R {total.recall:.3f}  F1 {total.f1:.3f}"
        )
        fields = {n: round(t.f1, 4) for n, t in outcome.per_field.items()}
        print("    " + "  ".join(f"{n} {f:.3f}" for n, f in fields.items()))
        out[set_name] = {"f1": round(total.f1, 4), "p": round(total.precision, 4), "r": round(total.recall, 4)}
        out[set_name]["fields"] = fields
    return out


def calibration_report(documents: list[Document], k: int) -> dict[str, Any]:
    """Reliability of the calibrated confidence, each fold calibrated on the others' out-of-fold results (so
    these figures are not fitted to themselves); per field the straight-through rate at CONFIDENT."""
    folds = folds_of(documents, k)
    pairs = reported_pairs(documents)
    fold_of = {id(d): f for d, f in zip(documents, folds, strict=True)}
    rows: list[tuple[str, str, float, int]] = []
    for fold in range(k):
        calibration = fit_calibration([p for p in pairs if fold_of[id(p[0])] != fold])
        for d, name, raw, right in pairs:
            if fold_of[id(d)] == fold:
                rows.append((d.sample.set, name, Model(None, calibration, 0).calibrated(raw, name), right))
    print("\nconfidence (calibrated on the other folds) -> share right")
    table = reliability([(r[2], r[3]) for r in rows], BUCKETS)
    for row in table:
        print(f"  [{row['from']:.2f}, {row['to']:.2f})  n {row['n']:>4}  right {row['right']:.3f}")
    sure = [r for r in rows if r[2] >= CONFIDENT]
    precision = sum(r[3] for r in sure) / len(sure) if sure else 0.0
    print(f"  confidence >= {CONFIDENT}: {len(sure)} values, {precision:.3f} right (target >= 0.97)")
    print(f"\nstraight-through at confidence >= {CONFIDENT} (share of documents, and the share of those right)")
    through: dict[str, Any] = {}
    for set_name, name in sorted({(r[0], r[1]) for r in rows}):
        mine = [r for r in rows if r[0] == set_name and r[1] == name]
        docs = sum(1 for d in documents if d.sample.set == set_name)
        accepted = [r for r in mine if r[2] >= CONFIDENT]
        rate = len(accepted) / docs if docs else 0.0
        share = sum(r[3] for r in accepted) / len(accepted) if accepted else 0.0
        through[f"{set_name}.{name}"] = {"rate": round(rate, 4), "right": round(share, 4)}
        print(f"  {set_name:<13} {name:<14} {rate:6.1%} of documents, {share:.3f} right")
    return {"reliability": table, "confident_precision": round(precision, 4), "straight_through": through}


def write_model(
    path: Path, booster: Bagged, calibration: dict[str, Knots], threshold: float, lexicon: dict[str, list[str]]
) -> None:
    data = {
        "features": list(FEATURES),
        "threshold": threshold,
        "calibration": calibration,
        "lexicon": lexicon,
        "params": PARAMS,
        "rounds": ROUNDS,
        "boosters": [b.model_to_string() for b in booster.boosters],
    }
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--cache", default="", help="folder for pickled OCR pages (as bench.invoices --cache)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="at most N documents per set (0: all)")
    parser.add_argument("--cached-only", action="store_true", help="only the documents whose OCR is in --cache")
    parser.add_argument("--langs", default="eng+deu+fra")
    parser.add_argument("--synthetic", type=int, default=SYNTHETIC, help="synthetic invoices to train on too")
    parser.add_argument("--out", default=str(MODEL_FILE), help="the model file to write ('' to write none)")
    parser.add_argument("--seed", type=int, default=PARAMS["seed"], help="LightGBM's seed (its bagging's rows)")
    args = parser.parse_args(argv)
    PARAMS["seed"] = args.seed
    started = time.perf_counter()
    cache = str(Path(args.cache).resolve()) if args.cache else ""
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    documents = load(
        names,
        limit=args.limit,
        cache=cache,
        jobs=args.jobs,
        cached_only=args.cached_only,
        langs=args.langs,
        synthetic_count=args.synthetic,
    )
    read = time.perf_counter() - started
    candidates = sum(len(d.scored) for d in documents)
    print(f"{len(documents)} documents, {candidates} candidates, read in {read:.0f} s")
    folded, calibration, threshold = cross_validate(documents, args.folds)
    figures: dict[str, Any] = {"documents": len(documents), "threshold": threshold}
    fold_models = [Model(m.booster, calibration, threshold, m.lexicon) for m in folded]
    figures["grouped_cv"] = report(documents, fold_models, f"grouped {args.folds}-fold cross-validation (the figure)")
    figures["calibration"] = calibration_report(documents, args.folds)
    figures["rules"] = report(documents, [None], "the rules alone (no model), for comparison")
    booster, lexicon = train(documents), text_lexicon(documents)
    figures["all_data"] = report(
        documents,
        [Model(booster, calibration, threshold, loaded(lexicon))],
        "trained and scored on all documents (memorisation check)",
    )
    for set_name, cv in figures["grouped_cv"].items():
        gap = figures["all_data"][set_name]["f1"] - cv["f1"]
        print(f"  {set_name}: all-data minus grouped-CV F1 {gap:+.3f} (at most 0.03)")
    if args.out:
        write_model(Path(args.out), booster, calibration, threshold, lexicon)
        print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1024:.0f} KB)")
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(f"{figures['seconds']:.0f} s in all")
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
