"""PERÚ COMPRAS source layer.

Monthly-file reader, RUC checks, synthetic generator, portal downloader.
"""
