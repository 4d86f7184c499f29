"""Progress reporting for long runs: a bar with rate and ETA on a terminal, log lines otherwise."""

from __future__ import annotations

import time

_UNITS = {"extract": "fichiers", "persons": "articles", "write": "articles"}
_LABELS = {"scan": "parcours", "extract": "extraction", "persons": "personnes", "write": "écriture"}


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """A progress callback ``progress(stage, done, total)``; call ``close()`` at the end."""

    def __init__(self, stream, tty: bool | None = None, interval: float | None = None):
        self.stream = stream
        if tty is None:
            try:
                tty = bool(stream.isatty())
            except (AttributeError, ValueError, OSError):
                tty = False
        self.tty = tty
        self.interval = interval if interval is not None else (0.1 if tty else 10.0)
        self._stage = None
        self._start = 0.0
        self._last = 0.0
        self._open_line = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken stream must not break the reindex

    def _line(self, stage: str, done: int, total: int) -> str:
        elapsed = max(time.monotonic() - self._start, 1e-6)
        rate = done / elapsed
        unit = _UNITS.get(stage, "")
        label = _LABELS.get(stage, stage)
        if total:
            frac = min(1.0, done / total)
            eta = (total - done) / rate if rate > 0 else 0
            bar = ""
            if self.tty:
                width = 24
                fill = int(frac * width)
                bar = "[" + "#" * fill + "-" * (width - fill) + "] "
            return (f"{label:<11} {bar}{frac:4.0%} {done}/{total} {unit} "
                    f"{rate:.1f}/s ETA {_duration(eta)}")
        return f"{label:<11} {done} {unit} {rate:.1f}/s"

    def __call__(self, stage: str, done: int, total: int = 0) -> None:
        now = time.monotonic()
        if stage != self._stage:
            self._finish_line()
            # a terminal shows the bar at once; a log waits for the interval or the end
            self._stage, self._start, self._last = stage, now, (0.0 if self.tty else now)
        final = bool(total) and done >= total
        if not final and now - self._last < self.interval:
            return
        self._last = now
        line = self._line(stage, done, total)
        if self.tty:
            self._write("\r\x1b[2K" + line)
            self._open_line = True
            if final:
                self._finish_line()
        else:
            self._write("presse reindex: " + line + "\n")

    def _finish_line(self) -> None:
        if self._open_line:
            self._write("\n")
            self._open_line = False

    def close(self) -> None:
        """End the current line on a terminal."""
        self._finish_line()


def make_progress(stream) -> Progress:
    """Return a progress callback writing to ``stream`` (bar on a TTY, log lines otherwise)."""
    return Progress(stream)
