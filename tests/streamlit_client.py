"""A browser tab as far as a Streamlit server can tell, for tests through a proxy: cookies on the first page load
and on the websocket, a rerun, a button press, and the markdown of the run that answered them.
(scripts/load_test.py has the full client with fragments and timers; this one only needs whole runs.)
"""
from __future__ import annotations

import http.cookiejar
import ssl
import time
import urllib.request

import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState


class Tab:
    """One tab of one browser: `cookies` persist across reloads, as a browser's do. An https `url` is checked
    against `cafile` (deploy/local.py's self-signed certificate)."""

    def __init__(self, url: str, cookies: dict[str, str] | None = None, query: str = "", cafile=None):
        self.url, self.cookies, self.query = url, dict(cookies or {}), query
        self.cafile = cafile
        self.ws = None
        self.widgets: dict[str, str] = {}

    def open(self) -> list[str]:
        """Load the page (the proxy may set its route cookie), open the websocket, run the script once."""
        jar = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=self.cafile) if self.cafile else None
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                             urllib.request.HTTPSHandler(context=context))
        request = urllib.request.Request(f"{self.url}/?{self.query}", headers={"Cookie": self.cookie_header()})
        opener.open(request, timeout=30).read()
        self.cookies.update({c.name: c.value for c in jar if c.name != "_streamlit_xsrf"})
        ws_url = self.url.replace("http", "ws", 1) + "/_stcore/stream"
        sslopt = {"ca_certs": str(self.cafile)} if self.cafile else None
        self.ws = websocket.create_connection(ws_url, subprotocols=["streamlit"], cookie=self.cookie_header(),
                                              timeout=60, sslopt=sslopt)
        return self.rerun()

    def rerun(self, *widgets: WidgetState, timeout: float = 180) -> list[str]:
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        for w in widgets:
            msg.rerun_script.widget_states.widgets.append(w)
        self.ws.send_binary(msg.SerializeToString())
        return self.read_run(timeout)

    def press(self, key: str, timeout: float = 180) -> list[str]:
        w = WidgetState(id=self.widgets[key])
        w.trigger_value = True
        return self.rerun(w, timeout=timeout)

    def read_run(self, timeout: float) -> list[str]:
        """The markdown texts of one script run, up to its end."""
        texts, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = ForwardMsg()
            msg.ParseFromString(self.ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                body = getattr(el, el.WhichOneof("type"))
                if getattr(body, "id", ""):
                    self.widgets[body.id.rsplit("-", 1)[-1]] = body.id
                if el.WhichOneof("type") in ("markdown", "exception", "alert"):
                    texts.append(getattr(body, "body", "") or getattr(body, "message", ""))
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "script_finished":
                return texts
        raise TimeoutError("the script run did not finish")

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())
