"""Generate the Kota Kendari demo data in ``bot/demo/`` from the national Kemendagri CSV.

    PYTHONPATH=. .venv/bin/python scripts/make_demo_data.py [NATIONAL_CSV] [--out-dir DIR] [--check]

* ``wilayah-kendari.csv``: the rows of 74 (Sulawesi Tenggara), 74.71 (Kota Kendari) and every
  kecamatan and kelurahan under 74.71, copied unchanged (same order, same names) from the
  national file.
* ``tps-kendari-demo.csv``: 525 FICTITIOUS polling stations. The totals are real (Pilkada 2024:
  525 TPS in 65 kelurahan; kecamatan Puuwatu 67 TPS, Nambo 17 TPS, shared domain.md §4 and §6),
  but the split per kelurahan and every address are invented. Addresses start with "DEMO".

The output is deterministic (fixed seed, integer arithmetic): running the script again gives
byte-identical files. ``--check`` compares instead of writing and exits 1 on a difference.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NATIONAL = ROOT.parent / "shared" / "data" / "wilayah-kemendagri-2025.csv"
DEFAULT_OUT = ROOT / "bot" / "demo"
WILAYAH_FILE = "wilayah-kendari.csv"
TPS_FILE = "tps-kendari-demo.csv"

PROVINCE = "74"
KOTA = "74.71"
TOTAL_TPS = 525
# Real per-kecamatan totals (Pilkada 2024); the other kecamatan share the rest.
FIXED_TOTALS = {"74.71.09": 67, "74.71.11": 17}  # Puuwatu, Nambo
MIN_PER_KELURAHAN = 3
SEED = 20241127  # hari pemungutan suara Pilkada 2024
EXPECTED_COUNTS = (1, 1, 11, 65)  # provinsi, kota, kecamatan, kelurahan


def read_kendari(national: Path) -> list[tuple[str, str]]:
    """The (kode, nama) rows of the province, the city and everything under the city."""
    with national.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if [h.strip().lower() for h in header] != ["kode", "nama"]:
            raise SystemExit(f"{national}: expected the header kode,nama, found {header}")
        rows = [
            (code, name)
            for code, name in reader
            if code in (PROVINCE, KOTA) or code.startswith(KOTA + ".")
        ]
    counts = tuple(sum(1 for code, _ in rows if code.count(".") == n) for n in range(4))
    if counts != EXPECTED_COUNTS:
        raise SystemExit(f"{national}: expected {EXPECTED_COUNTS} rows per level, got {counts}")
    return rows


def apportion(total: int, weights: Sequence[int], minimum: int) -> list[int]:
    """Split ``total`` over ``weights``: everyone gets ``minimum`` (less if ``total`` is too
    small to give everyone that much), the rest in proportion to the weights by largest
    remainder; ties go to the earlier item. Integer arithmetic only, so it is deterministic."""
    n = len(weights)
    base = min(minimum, total // n)
    shares = [base] * n
    rest = total - base * n
    weight_sum = sum(weights)
    floors = [rest * w // weight_sum for w in weights]
    remainders = [rest * w % weight_sum for w in weights]
    shares = [s + f for s, f in zip(shares, floors, strict=True)]
    left = rest - sum(floors)
    for i in sorted(range(n), key=lambda i: (-remainders[i], i))[:left]:
        shares[i] += 1
    assert sum(shares) == total
    return shares


def build_tps(wilayah: list[tuple[str, str]]) -> list[tuple[str, int, str]]:
    """The fictitious TPS rows: (kelurahan code, number, address)."""
    rng = random.Random(SEED)
    kecamatan = [code for code, _ in wilayah if code.count(".") == 2]
    kelurahan = {code: name for code, name in wilayah if code.count(".") == 3}
    by_kecamatan = {
        kec: [code for code in kelurahan if code.startswith(kec + ".")] for kec in kecamatan
    }
    # A weight per kelurahan in file order (stands in for its number of voters).
    weight = {code: rng.randint(2, 9) for code in kelurahan}

    per_kelurahan: dict[str, int] = {}
    for kec, total in FIXED_TOTALS.items():
        codes = by_kecamatan[kec]
        per_kelurahan.update(
            zip(codes, apportion(total, [weight[c] for c in codes], MIN_PER_KELURAHAN), strict=True)
        )
    others = [c for kec in kecamatan if kec not in FIXED_TOTALS for c in by_kecamatan[kec]]
    rest = TOTAL_TPS - sum(FIXED_TOTALS.values())
    per_kelurahan.update(
        zip(others, apportion(rest, [weight[c] for c in others], MIN_PER_KELURAHAN), strict=True)
    )

    rows: list[tuple[str, int, str]] = []
    for code in kelurahan:  # file order
        for number in range(1, per_kelurahan[code] + 1):
            house = rng.randint(1, 150)
            rows.append((code, number, f"DEMO — Jl. Contoh No. {house}, {kelurahan[code]}"))
    assert len(rows) == TOTAL_TPS
    return rows


def to_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def render(national: Path) -> dict[str, bytes]:
    wilayah = read_kendari(national)
    tps = build_tps(wilayah)
    return {
        WILAYAH_FILE: to_csv(("kode", "nama"), wilayah),
        TPS_FILE: to_csv(("kelurahan_kode", "nomor", "alamat", "demo"), [(*row, 1) for row in tps]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("national", nargs="?", type=Path, default=DEFAULT_NATIONAL)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)

    files = render(args.national)
    stale = []
    for name, content in files.items():
        target = args.out_dir / name
        if args.check:
            if not target.exists() or target.read_bytes() != content:
                stale.append(name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            rows = content.count(b"\n") - 1
            print(f"wrote {target} ({rows} rows)")
    if stale:
        print(f"out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
