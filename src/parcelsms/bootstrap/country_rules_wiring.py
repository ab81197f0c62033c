"""The country rules registry the configuration names, loaded for the parts that need it."""

from __future__ import annotations

from pathlib import Path

from parcelsms.config import Settings
from parcelsms.domain.country_rules import CountryRules
from parcelsms.domain.country_rules_loading import load_country_rules


def load_settings_country_rules(settings: Settings) -> CountryRules:
    """The registry ``[countries] file`` names (else the packaged one), validated: a bad
    operator copy stops the start with its key named."""
    countries_file = settings.countries.file
    return load_country_rules(Path(countries_file) if countries_file else None)
