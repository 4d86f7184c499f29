"""Response headers every page carries: CSP, nosniff, referrer policy, and Vary for htmx fragments."""

from __future__ import annotations

from flask import Flask


def content_security_policy() -> str:
    """Return the CSP: code and styles from this site and the pinned CDN only, no inline script."""
    from webapp import CDN_ORIGIN

    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {CDN_ORIGIN}",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ])


def security_headers() -> dict[str, str]:
    """Return the security headers as a dict (also written by gunicorn's own error pages)."""
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def register(app: Flask) -> None:
    """Add the security headers and ``Vary: HX-Request`` to every response."""
    headers = security_headers()

    @app.after_request
    def _headers(resp):
        resp.headers.update(headers)
        resp.vary.add("HX-Request")
        return resp
