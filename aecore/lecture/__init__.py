"""The lecture layer, above the applications and the jobs: what a lecturer sets up and what a lesson promises.

- presets.py:    lesson presets (assets/presets/*.json): one click sets up a teaching scenario
- lessons.py:    each lesson's claim measured: its models trained as the preset sets them, then checked
- claims.py:     a claim's format (metric, runs, above/below, margin), parsed from JSON and checked
- pageclaims.py: each application page's default is a claim too (assets/claims/*.json), built once here
- share.py:      the settings a link carries (dataset, variant, bottleneck, lesson) to and from a query string
"""
