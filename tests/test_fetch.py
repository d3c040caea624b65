"""The renderer reads only the project, the font packages and data: URLs."""

from __future__ import annotations

import json
import socket
import threading

import pytest

import pdfutil


def _append_body(project, html: str):
    path = project / "content" / "sample" / "en.md"
    path.write_text(path.read_text() + "\n" + html + "\n")
    return path


def _png(path):
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(path)
    return path


def _images(pdf) -> int:
    """Distinct image XObjects in the PDF (pages may share one resource dictionary)."""
    seen = set()
    for page in pdfutil.reader(pdf).pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        for ref in xobjects.values():
            if ref.get_object().get("/Subtype") == "/Image":
                seen.add(getattr(ref, "idnum", id(ref)))
    return len(seen)


class Listener:
    """A loopback socket that records every connection attempt."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.mark.usefixtures("unsanitized")
def test_local_files_outside_the_project_are_refused(project, run, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    secret_png = _png(tmp_path / "secret.png")
    _append_body(project, f"""
<img src="file:///etc/passwd" alt="x">
<img src="../../../secret.png" alt="y">
<img src="{secret_png.as_uri()}" alt="z">
<div style="background: url('{secret_png.as_uri()}')">styled</div>
<link rel="attachment" href="{secret.as_uri()}">
<object data="{secret.as_uri()}"></object>
<embed src="{secret.as_uri()}">
<iframe src="{secret.as_uri()}"></iframe>
""")
    # --no-check: the fetcher must hold even when the check that would catch this is off.
    result = run(["--project", project, "build", "-j", "1", "--force", "--no-check"])
    assert result.exit_code == 0, result.output
    assert "refused to read file:///etc/passwd: outside the project" in result.output
    pdf = project / "dist" / "sample" / "sample.en.standard.pdf"
    data = pdf.read_bytes()
    assert b"TOP-SECRET-VALUE" not in data and b"root:x:" not in data
    root = pdfutil.reader(pdf).trailer["/Root"]
    assert "/Names" not in root or "/EmbeddedFiles" not in root["/Names"]
    assert _images(pdf) == 0
    manifest = json.loads((project / "dist" / "manifest.json").read_text())
    warnings = manifest["outputs"][0]["warnings"]
    assert any("secret.png: outside the project" in w for w in warnings), warnings


@pytest.mark.usefixtures("unsanitized")
def test_symlink_out_of_the_project_is_refused(project, run, tmp_path):
    target = _png(tmp_path / "outside.png")
    (project / "content" / "sample" / "pic.png").symlink_to(target)
    _append_body(project, '<img src="pic.png" alt="picture">')
    result = run(["--project", project, "build", "-j", "1", "--no-check"])
    assert result.exit_code == 0
    assert "pic.png: outside the project" in result.output
    assert _images(project / "dist" / "sample" / "sample.en.standard.pdf") == 0


@pytest.mark.usefixtures("unsanitized")
def test_network_is_never_touched_by_default(project, run):
    listener = Listener()
    try:
        _append_body(project, f"""
<img src="http://127.0.0.1:{listener.port}/a.png" alt="a">
<div style="background: url(http://127.0.0.1:{listener.port}/b.png)">b</div>
<link rel="attachment" href="http://127.0.0.1:{listener.port}/c">
""")
        result = run(["--project", project, "build", "-j", "1", "--no-check"])
    finally:
        listener.close()
    assert result.exit_code == 0, result.output
    assert listener.connections == 0
    assert "network access is off" in result.output


def test_images_inside_the_project_work(project, run):
    _png(project / "content" / "sample" / "red.png")
    _png(project / "assets" / "blue.png")
    _append_body(project, '![A red square](red.png) ![A blue square](../../assets/blue.png)')
    result = run(["--project", project, "build", "-j", "1"])
    assert result.exit_code == 0
    assert "refused" not in result.output and "not found" not in result.output
    assert result.output.count("will look blurred") == 2  # 8 pixels printed 2 mm wide
    assert _images(project / "dist" / "sample" / "sample.en.standard.pdf") == 2
