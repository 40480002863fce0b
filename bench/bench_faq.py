"""Speed of the FAQ: loading the knowledge base and matching every evaluation question.

    PYTHONPATH=. .venv/bin/python bench/bench_faq.py [--repeat 5] [--tune]

Times, in one fresh process: reading and validating ``bot/data/faq.yaml`` (+ ``slang.yaml``),
building the matcher (the first build also creates the Sastrawi stemmer), a cold pass over all
questions of ``tests/data/faq_eval.yaml`` (empty stem and typo caches) and ``--repeat`` warm
passes; prints questions per second and latency percentiles, and the cost of
``KnowledgeStore.get()`` (called for every message).

``--tune`` prints, for the dev split only (even positions of ``items``), how many in-scope
questions would be answered confidently and how many out-of-scope ones would be answered for
each CONFIDENT_SCORE and CONFIDENT_MARGIN: the table the thresholds in
handlers/faq/matcher.py were chosen from.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers.faq import KnowledgeStore, load_knowledge  # noqa: E402
from handlers.faq.matcher import (  # noqa: E402
    CONFIDENT_MARGIN,
    CONFIDENT_SCORE,
    FaqMatcher,
    evaluate,
)

EVAL_PATH = ROOT / "tests" / "data" / "faq_eval.yaml"


def questions() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    raw = yaml.safe_load(EVAL_PATH.read_text(encoding="utf-8"))
    items = [(item["q"], item["expect"]) for item in raw["items"]]
    fresh = [(item["q"], item["expect"]) for item in raw["fresh"]]
    return items, fresh


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed_pass(matcher: FaqMatcher, texts: list[str]) -> list[float]:
    latencies = []
    for text in texts:
        start = time.perf_counter()
        matcher.match(text)
        latencies.append(time.perf_counter() - start)
    return latencies


def report(name: str, latencies: list[float]) -> None:
    total = sum(latencies)
    print(
        f"{name:12} {len(latencies):5d} questions  {len(latencies) / total:8.0f} q/s  "
        f"p50 {statistics.median(latencies) * 1000:6.2f} ms  "
        f"p95 {percentile(latencies, 0.95) * 1000:6.2f} ms  "
        f"max {max(latencies) * 1000:6.2f} ms"
    )


def tune(matcher: FaqMatcher, dev: list[tuple[str, str]]) -> None:
    ranked = [(matcher.scores(text), expect) for text, expect in dev]
    in_scope = [(scores, expect) for scores, expect in ranked if expect != "none"]
    out = [scores for scores, expect in ranked if expect == "none"]
    print(f"dev split: {len(in_scope)} in scope, {len(out)} out of scope")
    print(f"highest out-of-scope score: {max(scores[0][1] for scores in out):.1f}")
    print("score margin  confident  wrong  out-of-scope answered")
    for score in range(50, 68, 2):
        for margin in (0.0, 2.0, 4.0, 8.0):

            def sure(scores: list, score: float = score, margin: float = margin) -> bool:
                return scores[0][1] >= score and scores[0][1] - scores[1][1] >= margin

            confident = sum(sure(scores) for scores, _ in in_scope)
            wrong = sum(sure(scores) and scores[0][0].id != expect for scores, expect in in_scope)
            answered = sum(sure(scores) for scores in out)
            mark = "  <- current" if (score, margin) == (CONFIDENT_SCORE, CONFIDENT_MARGIN) else ""
            print(
                f"{score:5d} {margin:6.0f}  {confident / len(in_scope):9.1%}  {wrong:5d}  "
                f"{answered:3d}/{len(out)}{mark}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="warm passes over the questions")
    parser.add_argument("--tune", action="store_true", help="print the dev threshold table")
    args = parser.parse_args()

    items, fresh = questions()
    texts = [text for text, _ in items + fresh]

    start = time.perf_counter()
    kb = load_knowledge()
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    matcher = FaqMatcher(kb)
    built = time.perf_counter() - start
    start = time.perf_counter()
    FaqMatcher(kb)
    rebuilt = time.perf_counter() - start
    print(f"knowledge base: {len(kb)} entries")
    print(f"load_knowledge      {loaded * 1000:8.1f} ms")
    print(f"FaqMatcher (first)  {built * 1000:8.1f} ms  (creates the Sastrawi stemmer)")
    print(f"FaqMatcher (again)  {rebuilt * 1000:8.1f} ms  (what a reload costs, plus loading)")

    report("cold pass", timed_pass(matcher, texts))
    warm: list[float] = []
    for _ in range(args.repeat):
        warm += timed_pass(matcher, texts)
    report(f"warm x{args.repeat}", warm)

    store = KnowledgeStore(check_interval=0.0)
    calls = 20000
    start = time.perf_counter()
    for _ in range(calls):
        store.get()
    per_call = (time.perf_counter() - start) / calls
    print(f"KnowledgeStore.get() {per_call * 1e6:7.2f} µs per call with a stat on every call")

    print(evaluate(matcher, items + fresh).summary())
    if args.tune:
        tune(matcher, items[0::2])


if __name__ == "__main__":
    main()
