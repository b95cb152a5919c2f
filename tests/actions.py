"""Counting a staff member's work in the browser (issue 15's figures): a Playwright page wrapped
so that every field typed or chosen and every submit is recorded, by post, with the field's name
and value; and a ledger of the facts the system already knows, so that a fact typed twice (a
name, an ID number, a date, an amount, an address stored in the registry or typed earlier in the
case) is caught. Each page the wrapper lands on is read for untranslated English when the
interface is Chinese (tests/untranslated.py)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tests.untranslated import english_words_in

ACTIONS = ("typed", "chosen", "submit")


def _normal(value) -> str:
    """One spelling per fact: spaces dropped, an amount as its number ("900" = "900.00")."""
    text = "".join(str(value).split()).replace(",", "").replace("¥", "")
    try:
        return str(Decimal(text).normalize()) if text else ""
    except InvalidOperation:
        return text.upper()


@dataclass
class Action:
    phase: str
    post: str
    kind: str        # typed, chosen, submit
    field: str
    value: str


class Ledger:
    """Every action of one case, the facts the system knows, and what went wrong (kept, so the
    figures print before the test fails)."""

    def __init__(self, title: str):
        self.title = title
        self.actions: list[Action] = []
        self.known: dict[str, str] = {}          # normalised value -> where the system holds it
        self.problems: list[str] = []
        self.phase = ""
        self.visited: set[str] = set()
        self.ignore_words: set[str] = set()      # data written in Latin letters (usernames)

    def know(self, where: str, *values) -> None:
        for value in values:
            if value not in (None, "") and _normal(value):
                self.known.setdefault(_normal(value), where)

    def record(self, post: str, kind: str, field: str, value="") -> None:
        self.actions.append(Action(self.phase, post, kind, field, str(value)))

    def typed(self, post: str, field: str, value: str, *, lookup: bool = False) -> None:
        self.record(post, "typed", field, value)
        if lookup:
            return
        key = _normal(value)
        if key in self.known:
            self.problems.append(f"typed twice: {post} typed {field}={value!r}, already known ({self.known[key]})")
        self.know(f"typed by {post} as {field}", value)

    def count(self, *, phases=None, post: str | None = None, kind: str | None = None) -> int:
        return sum(1 for a in self.actions if (phases is None or a.phase in phases) and (post is None or a.post == post)
                   and (kind is None or a.kind == kind))

    def table(self) -> str:
        """Actions per phase and post, then every action."""
        lines = [f"== {self.title} ==", f"{'phase':<10} {'post':<16} {'typed':>5} {'chosen':>6} {'submit':>6} {'total':>5}"]
        keys = []
        for a in self.actions:
            if (a.phase, a.post) not in keys:
                keys.append((a.phase, a.post))
        for phase, post in keys:
            n = [self.count(phases={phase}, post=post, kind=k) for k in ACTIONS]
            lines.append(f"{phase:<10} {post:<16} {n[0]:>5} {n[1]:>6} {n[2]:>6} {sum(n):>5}")
        for phase in dict.fromkeys(a.phase for a in self.actions):
            n = [self.count(phases={phase}, kind=k) for k in ACTIONS]
            lines.append(f"{phase:<10} {'(all posts)':<16} {n[0]:>5} {n[1]:>6} {n[2]:>6} {sum(n):>5}")
        n = [self.count(kind=k) for k in ACTIONS]
        lines.append(f"{'all':<10} {'':<16} {n[0]:>5} {n[1]:>6} {n[2]:>6} {sum(n):>5}")
        lines.append("-- every action --")
        lines += [f"{a.phase:<10} {a.post:<16} {a.kind:<7} {a.field} = {a.value[:40]}" for a in self.actions]
        if self.problems:
            lines.append("-- problems --")
            lines += self.problems
        return "\n".join(lines)


class CountingPage:
    """A Playwright page acting for one post: `fill` (typed), `choose` / `check` / `upload`
    (chosen) and `submit` are counted; `goto` and plain clicks on links are not (navigating is
    not work the figures count). Anything else is the page's own."""

    def __init__(self, page, ledger: Ledger, post: str, *, chinese: bool = True):
        self.page = page
        self.ledger = ledger
        self.post = post
        self.chinese = chinese

    def __getattr__(self, name):
        return getattr(self.page, name)

    def _name(self, selector: str, field: str | None) -> str:
        if field:
            return field
        name = self.page.get_attribute(selector, "name")
        return name or selector

    def read_language(self) -> None:
        """The page as it is now: no untranslated English in <main> (once per path)."""
        if not self.chinese:
            return
        path = self.page.url.split("?")[0].split("#")[0]
        html = self.page.content()
        for word in self.ledger.ignore_words:
            html = html.replace(word, " ")
        words = english_words_in(html)
        key = (path, tuple(words))
        if words and key not in self.ledger.visited:
            self.ledger.problems.append(f"English on {path} ({self.post}): {' '.join(words[:20])}")
        self.ledger.visited.add(key)

    def goto(self, url: str, **kwargs):
        response = self.page.goto(url, **kwargs)
        self.read_language()
        return response

    def fill(self, selector: str, value: str, *, field: str | None = None, lookup: bool = False) -> None:
        self.ledger.typed(self.post, self._name(selector, field), value, lookup=lookup)
        self.page.fill(selector, value)

    def choose(self, selector: str, value: str, *, field: str | None = None) -> None:
        self.ledger.record(self.post, "chosen", self._name(selector, field), value)
        self.page.select_option(selector, value)

    def check(self, selector: str, *, field: str | None = None) -> None:
        self.ledger.record(self.post, "chosen", self._name(selector, field), self.page.get_attribute(selector, "value") or "on")
        self.page.check(selector)

    def upload(self, selector: str, files, *, field: str | None = None) -> None:
        self.ledger.record(self.post, "chosen", self._name(selector, field), getattr(files, "get", lambda k: "")("name"))
        self.page.set_input_files(selector, files)

    def submit(self, selector: str, *, field: str = "", wait_for: str | None = None) -> None:
        """Press a form's submit button and wait for the page it leads to (a URL glob, or any)."""
        self.ledger.record(self.post, "submit", field or selector)
        if wait_for:
            self.page.click(selector)
            self.page.wait_for_url(wait_for)
        else:
            with self.page.expect_navigation():
                self.page.click(selector)
        self.page.wait_for_load_state()
        self.read_language()
