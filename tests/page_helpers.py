"""What page tests share, imported as `from page_helpers import ...`: the app's files, a Workspace seeded into an
AppTest session, the sidebar's upload handler, the Latent space page's components, and the bundled demo's files
(whole, and with its decoder negated, as a hostile upload)."""
from __future__ import annotations

import io
import json
import time
import zipfile

from helpers import ROOT
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from streamlit.testing.v1 import AppTest

from aecore.runs.checkpoint import FILES, runs_from_files

APP = str(ROOT / "app.py")
LATENT_PAGE = str(ROOT / "pages" / "latent.py")
DEMO = ROOT / "assets" / "demos" / "vae-mnist-2d"


# --- the sidebar's data upload ---------------------------------------------------------------------------------
def upload_handler_script() -> str:
    """The sidebar's upload handler (face.sidebar: read before the page, drawn after it), then the model banner (what
    the page above it shows)."""
    return "\n".join([f"import sys; sys.path.insert(0, {str(ROOT)!r})",
                      "from face.sidebar import read_upload, upload_ui", "from face.widgets import model_banner",
                      "read_upload()", "upload_ui()", "model_banner()"])


def sidebar(run=None):
    """AppTest of the sidebar's upload handler alone (AppTest reruns only the page of an st.navigation app)."""
    at = AppTest.from_string(upload_handler_script(), default_timeout=30)
    seed_workspace(at, run)
    return at.run()


def upload_data(at, name: str, blob: bytes):
    """Upload `blob` as `name` through the sidebar's file uploader and rerun."""
    at.file_uploader(key="upload_file").set_value((name, blob, "application/octet-stream"))
    return at.run()


# --- the Workspace: the one object pages take out of session state ----------------------------------------------
def ws(at):
    """The Workspace of an AppTest session."""
    from face.session import workspace_of
    return workspace_of(at)


def seed_workspace(at, run=None, data=None, job=None):
    """Give an AppTest session a Workspace before its first run: a model, its job, and `data` as the upload."""
    from face.session import seed
    from face.workspace import Upload, Workspace
    return seed(at, Workspace(run=run, job=job, upload=Upload(data=data)))


# --- components on a page (Latent space's atlas) ---------------------------------------------------------------
def component(at: AppTest, key: str) -> dict | None:
    """The arguments of the component with this key (JSON ones, and the bytes sent in this run, by name)."""
    for el in at.get("component_instance"):
        args = json.loads(el.proto.json_args)
        if args.get("key") == key:
            return {**args, **{a.key: a.bytes for a in el.proto.special_args}}
    return None


def atlas(at: AppTest) -> dict:
    found = component(at, "latent_atlas")
    assert found is not None, "the atlas is drawn"
    return found


def frame_asks(at: AppTest) -> AppTest:
    """What the atlas frame does once it has drawn the points: ask for the payloads it lacks, then the rerun."""
    need = [h for name, h in atlas(at)["payloads"].items() if name in ("thumbs", "weights")]
    at.session_state["latent_atlas"] = {"need": need, "nonce": f"need-{time.monotonic_ns()}"}
    return at.run()


def advanced_open(at: AppTest) -> AppTest:
    """The sidebar's Advanced section open before the next run: face.sidebar draws its widgets only then."""
    at.session_state["sidebar_advanced_open"] = True
    return at


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


# --- the bundled demo, whole and altered -----------------------------------------------------------------------
def demo_files() -> dict[str, bytes]:
    return {name: (DEMO / name).read_bytes() for name in FILES}


def negated_decoder_zip() -> bytes:
    """The demo's run folder as a zip, with every decoder weight negated and config.json left as it is."""
    files = demo_files()
    weights = load_safetensors(files["model.safetensors"])
    files["model.safetensors"] = save_safetensors(
        {k: -v if k.startswith("decoder.") else v for k, v in weights.items()})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)
    return buf.getvalue()


def altered_demo():
    """The negated-decoder demo as a Run that keeps the demo's run id and step."""
    files = demo_files()
    with zipfile.ZipFile(io.BytesIO(negated_decoder_zip())) as zf:
        files["model.safetensors"] = zf.read("model.safetensors")
    return runs_from_files(files)
