"""The Streamlit side of Latent Lab: everything pages share, one concern a module.

- `session`:    the Workspace of this browser session, and each page's first call (`page_setup`)
- `workspace`:  the Workspace itself (run, job, application groups, upload): no Streamlit in it
- `datasets`:   the datasets a page can use, loaded once per server; the sidebar's settings as configs
- `caches`:     every `st.cache_*` wrapper of a model's results, keyed once (codes of a split, ...)
- `sidebar`:    the settings every page shares, the upload, the training status line
- `lecture`:    lesson presets, shareable links, presenter view, bundled demos
- `widgets`:    image grids, sample plots, the model banner, the training-snapshot note, chart export settings
- `progress`:   the Train page's live view (progress, loss curves, reconstructions on a timer)
- `scatter`:    the Latent space scatter, its projection choice and the selected samples
- `codes`:      panels that decode chosen codes (Latent space's sliders; Generate's sliders, traversals, ...)
- `checkpoints`: the Models page's download and loaders
- `experiment`: the skeleton of an application page (form -> background group -> progress -> results)
- `export`:     the Export section below Train, Latent space and Generate
"""
