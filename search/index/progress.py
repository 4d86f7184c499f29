"""Progress reporting for long runs: a bar with rate and ETA on a terminal, log lines otherwise.

A step reports ``progress(stage, done, total, detail="")``: ``total`` 0 when it is unknown
(then no ETA), ``detail`` a short note (articles found, words read, the phase of a commit).
The last state of a step is always shown, with the step's elapsed time, when the next step
starts or the run ends, even if it came between two refreshes.
"""

from __future__ import annotations

import time

_UNITS = {"extract": "fichiers", "persons": "articles", "write": "articles", "stories": "articles",
          "merge": "postings", "resolve": "articles"}
_LABELS = {"scan": "parcours", "extract": "extraction", "persons": "personnes", "resolve": "résolution",
           "stories": "reprises", "write": "écriture des segments",
           "merge": "fusion", "commit": "validation"}
_WIDTH = max(len(label) for label in _LABELS.values())


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _rate(rate: float) -> str:
    return f"{rate:.0f}/s" if rate >= 100 else f"{rate:.1f}/s"


class Progress:
    """A progress callback ``progress(stage, done, total, detail="")``; call ``close()`` at the end."""

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
        self._unshown = None  # the latest state not printed yet: (done, total, detail)
        self._detail = None  # the detail of the last line shown

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or broken stream must not break the reindex

    def _line(self, stage: str, done: int, total: int, detail: str = "") -> str:
        elapsed = max(time.monotonic() - self._start, 1e-6)
        rate = done / elapsed
        unit = _UNITS.get(stage, "")
        label = _LABELS.get(stage, stage)
        tail = (f", {detail}" if detail else "") + f", {_duration(elapsed)} écoulé"
        if total:
            frac = min(1.0, done / total)
            eta = _duration((total - done) / rate) if rate > 0 else "?"
            bar = ""
            if self.tty:
                width = 24
                fill = int(frac * width)
                bar = "[" + "#" * fill + "-" * (width - fill) + "] "
            return (f"{label:<{_WIDTH}} {bar}{frac:4.0%} {done}/{total} {unit} "
                    f"{_rate(rate)} ETA {eta}{tail}")
        if done:
            return f"{label:<{_WIDTH}} {done} {unit} {_rate(rate)}{tail}"
        return f"{label:<{_WIDTH}} {detail or 'en cours'}, {_duration(elapsed)} écoulé"

    def __call__(self, stage: str, done: int, total: int = 0, detail: str = "") -> None:
        now = time.monotonic()
        if stage != self._stage:
            self._end_stage()
            # the first state of a step is shown at once (a terminal redraws it at each call)
            self._stage, self._start, self._last = stage, now, (0.0 if self.tty else now)
            if not self.tty and not (total and done >= total):
                self._show(stage, done, total, detail)  # a log says at once that a step started
                return
        final = bool(total) and done >= total
        # a phase of a step without a count (the parts of a commit) is shown when it starts
        phase = not total and not done and detail != self._detail
        if not final and not phase and now - self._last < self.interval:
            self._unshown = (done, total, detail)
            return
        self._show(stage, done, total, detail)
        if final and self.tty:
            self._finish_line()

    def _show(self, stage: str, done: int, total: int, detail: str) -> None:
        self._last = time.monotonic()
        self._unshown = None
        self._detail = detail
        line = self._line(stage, done, total, detail)
        if self.tty:
            self._write("\r\x1b[2K" + line)
            self._open_line = True
        else:
            self._write("presse reindex: " + line + "\n")

    def _end_stage(self) -> None:
        """Show the last state of the current step (with its elapsed time) if it was not shown."""
        if self._stage is not None and self._unshown is not None:
            self._show(self._stage, *self._unshown)
        self._finish_line()

    def _finish_line(self) -> None:
        if self._open_line:
            self._write("\n")
            self._open_line = False

    def close(self) -> None:
        """Show the last state of the current step and end its line on a terminal."""
        self._end_stage()
        self._stage = None


def make_progress(stream) -> Progress:
    """Return a progress callback writing to ``stream`` (bar on a TTY, log lines otherwise)."""
    return Progress(stream)
