"""Master data: Kemendagri regions of one edition and the TPS of each kelurahan/desa.

Read-mostly and identical for everyone, so each unit of work remembers what it has read:
a message that needs the kelurahan list three times queries it once.
"""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Session
from storage.domain import RegionInfo, TpsInfo
from storage.models import Region, Tps


def _region(row: Region) -> RegionInfo:
    return RegionInfo(row.code, row.name, row.level, row.parent_code)


def _tps(row: Tps) -> TpsInfo:
    return TpsInfo(row.id, row.kelurahan_code, row.number, row.address, row.is_demo)


class Wilayah:
    def __init__(self, session: Session, edition: str) -> None:
        self.session = session
        self.edition = edition
        self._regions: dict[str, RegionInfo | None] = {}
        self._children: dict[str, list[RegionInfo]] = {}
        self._tps_of: dict[str, list[TpsInfo]] = {}

    async def region(self, code: str) -> RegionInfo | None:
        if code not in self._regions:
            row = await self.session.get(Region, (self.edition, code))
            self._regions[code] = _region(row) if row else None
        return self._regions[code]

    async def children(self, parent_code: str) -> list[RegionInfo]:
        if parent_code not in self._children:
            rows = await self.session.execute(
                select(Region)
                .where(Region.edition == self.edition, Region.parent_code == parent_code)
                .order_by(Region.code)
            )
            found = [_region(r) for r in rows.scalars()]
            self._children[parent_code] = found
            self._regions.update({r.code: r for r in found})
        return self._children[parent_code]

    async def descendants(self, code: str, level: int) -> list[RegionInfo]:
        """Every region of ``level`` under ``code`` (e.g. all kelurahan of a kab/kota), in one
        query: codes are hierarchical (74.71.01.1005 is under 74.71)."""
        rows = await self.session.execute(
            select(Region)
            .where(
                Region.edition == self.edition,
                Region.level == level,
                Region.code.like(f"{code}.%"),
            )
            .order_by(Region.code)
        )
        found = [_region(r) for r in rows.scalars()]
        self._regions.update({r.code: r for r in found})
        return found

    async def names(self, codes: list[str]) -> dict[str, str]:
        wanted = [code for code in codes if code not in self._regions]
        if wanted:
            rows = await self.session.execute(
                select(Region).where(Region.edition == self.edition, Region.code.in_(wanted))
            )
            self._regions.update({r.code: _region(r) for r in rows.scalars()})
        return {code: info.name for code in codes if (info := self._regions.get(code))}

    async def tps_of(self, kelurahan_code: str) -> list[TpsInfo]:
        if kelurahan_code not in self._tps_of:
            rows = await self.session.execute(
                select(Tps)
                .where(Tps.edition == self.edition, Tps.kelurahan_code == kelurahan_code)
                .order_by(Tps.number)
            )
            self._tps_of[kelurahan_code] = [_tps(r) for r in rows.scalars()]
        return self._tps_of[kelurahan_code]

    async def tps(self, tps_id: int) -> TpsInfo | None:
        for stations in self._tps_of.values():
            for tps in stations:
                if tps.id == tps_id:
                    return tps
        row = await self.session.get(Tps, tps_id)
        return _tps(row) if row else None
