"""Render a Django template to PDF bytes with WeasyPrint, offline.

The URL fetcher serves the app's own static files and nothing else: no network, and no
file path can come from user data.
"""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string

# An address that resolves nowhere; only URLs under it (static files) are served.
PDF_BASE_URL = "https://emr-pdf.invalid/"


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            prefix = PDF_BASE_URL + settings.STATIC_URL.lstrip("/")
            if not url.startswith(prefix):
                raise ValueError(f"PDFs may only load the app's static files, not {url!r}")
            relative = url[len(prefix) :].split("?", 1)[0].split("#", 1)[0]
            content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, body=_static_bytes(relative), headers={"Content-Type": content_type}
            )

    return StaticOnlyFetcher


def _static_bytes(relative: str) -> bytes:
    if ".." in relative.split("/") or relative.startswith("/"):
        raise ValueError(f"refusing static path {relative!r}")
    # Collected (and, in production, hashed) files first; the app's static dirs otherwise.
    if staticfiles_storage.exists(relative):
        with staticfiles_storage.open(relative) as handle:
            return handle.read()
    found = finders.find(relative)
    if not found:
        raise ValueError(f"no static file {relative!r}")
    return Path(found).read_bytes()


def render_pdf(template_name: str, context: dict) -> bytes:
    # Imported here: WeasyPrint takes most of a second to import, and only workers need it.
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=_fetcher_class()()).write_pdf()
