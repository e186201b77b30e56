"""Drop exact duplicate <script> entries from every HTML page.

With Jupyter Book 1.0.4 (Sphinx 7.4.7, sphinx-thebe 0.3.1, sphinx-togglebutton) the inline
scripts that those extensions add while the sources are read appear twice in every page. The
second `const THEBE_JS_URL = ...` throws "Identifier 'THEBE_JS_URL' has already been declared"
in the browser (found by tests/test_browser.py). Identical entries are harmless to drop.
"""


def _dedup(app, pagename, templatename, context, doctree):
    seen, out = set(), []
    for js in context.get("script_files", []):
        key = (str(getattr(js, "filename", js) or ""),
               tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            out.append(js)
    context["script_files"] = out


def setup(app):
    app.connect("html-page-context", _dedup, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
