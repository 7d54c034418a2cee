"""A notebook with its widgets as a static HTML page that paints at once (issue 19).

    import xai_widgets as xw
    xw.export_html("executed.ipynb", "page.html")   # the notebook must hold its widget state

nbconvert's default HTML page (``jupyter nbconvert --to html``) shows the widgets only after
MathJax has loaded from its CDN: the MathJax script is synchronous in the page's head and the
widget renderer starts at DOMContentLoaded. With a slow or unreachable CDN the widgets appear
after about 25 s, with an error first. ``export_html`` uses nbconvert's lab template with
MathJax loaded async and the widget modules loaded from the CDN directly (no failing probe of
a local file first): see ``templates/xw_html/index.html.j2``. From the command line:
``jupyter nbconvert --to html --template xw_html --TemplateExporter.extra_template_basedirs=
<path printed by python -c "import xai_widgets.export as e; print(e.TEMPLATES)">``.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES = str(Path(__file__).parent / "templates")
TEMPLATE_NAME = "xw_html"


def html_exporter():
    """nbconvert's HTMLExporter with the xw_html template."""
    from nbconvert import HTMLExporter

    return HTMLExporter(extra_template_basedirs=[TEMPLATES], template_name=TEMPLATE_NAME)


def export_html(notebook, path=None) -> str:
    """The notebook (a path or an nbformat node, executed, with its widget state saved) as
    an HTML page; also written to ``path`` if given. Returns the HTML."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, (str, Path)) \
        else notebook
    body, _ = html_exporter().from_notebook_node(nb)
    if path is not None:
        Path(path).write_text(body, encoding="utf-8")
    return body
