"""Cadence reports (weekly snapshot, monthly scorecard, quarterly summary) from the published marts.

``marts`` opens a published copy, ``content`` picks every figure from it (each figure keeps the mart
cell it came from), ``charts`` draws the PNGs and ``render`` writes the self-contained HTML, the PNGs
and the ``figures.json`` sidecar; ``hypotheses`` drafts registry hypotheses from the pain-to-value
map for review. Nothing here imports Dagster.
"""
