"""Marketing and promotional phrase lists, one TOML file per language (see
``parcelsms.domain.content.phrases``)."""
