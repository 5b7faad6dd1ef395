"""PERÚ COMPRAS source layer: monthly-file reader, RUC checks, synthetic generator, portal downloader."""
