"""RegionRouter: which storage region holds a person's personal data, from configuration (regions.json)."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from leadcenter.errors import Unprocessable

_DEFAULT_CONFIG = Path(__file__).with_name("regions.json")


@dataclass(frozen=True)
class RegionRouter:
    default_region: str
    by_country: dict[str, str]
    tags: dict[str, str]
    countries: frozenset[str]

    @classmethod
    def from_file(cls, path: Path) -> RegionRouter:
        config = json.loads(path.read_text(encoding="utf-8"))
        by_country: dict[str, str] = {}
        tags: dict[str, str] = {}
        for region, spec in config["storage_regions"].items():
            tags[region] = spec["tag"]
            for country in spec["countries"]:
                if country in by_country:
                    raise ValueError(f"{country} is mapped to two storage regions")
                by_country[country] = region
        countries = frozenset(config["iso_countries"].split())
        unknown = set(by_country) - countries
        if unknown:
            raise ValueError(f"not ISO 3166-1 alpha-2: {sorted(unknown)}")
        return cls(config["default_region"], by_country, tags, countries)

    @property
    def storage_regions(self) -> list[str]:
        return list(self.tags)

    def validate_country(self, country: str) -> str:
        code = country.strip().upper()
        if code not in self.countries:
            raise Unprocessable(f"'{country}' is not an ISO 3166-1 alpha-2 country code", field="region")
        return code

    def storage_region(self, country: str) -> str:
        return self.by_country.get(self.validate_country(country), self.default_region)

    def tag(self, region: str) -> str:
        return self.tags[region]

    def region_for_tag(self, tag: str) -> str | None:
        for region, region_tag in self.tags.items():
            if region_tag == tag:
                return region
        return None


@functools.cache
def region_router() -> RegionRouter:
    return RegionRouter.from_file(Path(os.environ.get("REGION_MAP_FILE") or _DEFAULT_CONFIG))
