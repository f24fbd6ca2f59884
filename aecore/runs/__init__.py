"""A trained model kept: run folders and zips, the students' store, downloads, resuming.

- checkpoint.py:  run folders and zips: safetensors + JSON, never unpickled; declared sizes checked first
- history.py:     a saved loss history thinned to a bounded length
- resume.py:      when a loaded run may train on (same model, same data, more epochs)
- run_folders.py: the run folders a visitor may load: only those strictly inside the runs folder
- store.py:       the workspace store: a student's model and settings across reloads, shared models, quotas
- export.py:      downloads as bytes: codes and history as CSV, image grids as PNG
"""
