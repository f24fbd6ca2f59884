"""Ways to look at a trained model's codes: every sample placed on a plane, drawn, animated, explored.

- codes.py:          every sample's code (train then test), the index every atlas view shares
- project.py:        Projector: direct, PCA or UMAP (fit/transform) to two numbers per sample
- umapx.py knn.py:   UMAP of 70,000 codes in seconds: the numba cache, exact k-d tree neighbours
- align.py:          Procrustes: turn one layout to match another (switching views, time-lapse frames)
- atlas.py:          hover pictures for the browser (every sample as a tile, zlib or PNG sprite)
- timelapse.py:      the probe set's frames a training job records; timelapse_file.py: their timelapse.npz
- animate.py:        frames as an animated GIF
- explore.py:        traversals, interpolation, manifold grids, slider ranges
- decoder_export.py: a decoder as a JSON spec + float32 weights for the browser (the network's op list)
- units.py:          what a unit of the network stands for: the samples that excite it most, what it paints
- filter_frames.py:  the first layer's weights at each step the Inside view followed while training, as a GIF
"""
