"""The Streamlit side of Latent Lab: everything pages share, one concern a module.

- `session`:    the Workspace of this browser session, and each page's first call (`page_setup`)
- `workspace`:  the Workspace itself (run, job, application groups, upload): no Streamlit in it
- `datasets`:   the datasets a page can use, loaded once per server; the sidebar's settings as configs
- `caches`:     every `st.cache_*` wrapper of a model's results, keyed once (codes of a split, ...)
- `sidebar`:    the settings every page shares, the upload, the training status line
- `lecture`:    lesson presets, shareable links, presenter view, bundled demos
- `widgets`:    image grids, sample plots, the model banner, the training-snapshot note, chart export settings
- `progress`:   the Train page's live view (progress, loss curves, reconstructions on a timer)
- `atlas`:      the latent atlas component (every point in WebGL, hover pictures, decoding in the browser)
- `scatter`:    the Latent space atlas: which samples, which 2-D view (UMAP in the background), what it draws
- `gallery`:    what is picked in the atlas: the pinned point, a selection's gallery and label mix
- `timelapse`:  the latent space forming while the model trained: playback, live, and the GIF
- `codes`:      panels that decode chosen codes (Latent space's sliders; Generate's sliders, traversals, ...)
- `checkpoints`: the Models page's download and loaders
- `experiment`: the skeleton of an application page (form -> background group -> progress -> results)
- `export`:     the Export section below Train, Latent space and Generate
"""

# pandas whole before any page draws: plotly uses pandas whenever it is in sys.modules, without waiting for its
# import to finish, so a thread importing sklearn or umap (which import pandas) while another session's script
# built a figure gave that figure a half-imported pandas ("partially initialized module 'pandas'"), and the Train
# page's live view died mid-training. An import statement waits for a module being imported elsewhere.
import pandas  # noqa: E402,F401
