"""Plain-words help for every statistic the dashboard's tabs show.

Each entry is a term as the page says it (and the other ways the page says it); ``explain`` puts
its meaning in a tooltip wherever the term appears in the page's words, and ``glossary_html``
lists the entries for the charts, whose words are drawn into images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from sim.metrics import GAINED, INDICATOR_REALLY, REPORTED
from sim.params import PARAMS


@dataclass(frozen=True)
class Entry:
    """One statistic in plain words.

    Attributes:
        term: The statistic's name as the page says it.
        meaning: What it is, for someone who has never seen the model.
        aliases: Other words the page uses for it (lower case).
    """

    term: str
    meaning: str
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """The term and its aliases, lower case."""
        return (self.term.lower(), *self.aliases)


GLOSSARY: list[Entry] = [
    Entry(
        GAINED,
        "How well citizens' lives actually went, 0 to 1, whatever any indicator says. The only "
        "figure here that says what citizens gained.",
        (f"{GAINED} (true wellbeing)", "true wellbeing", "wellbeing"),
    ),
    Entry(
        REPORTED,
        "The share of caseloads the indicator shows as reaching the outcome it counts, as "
        "reported upward: invented outcomes included.",
        ("the indicator: reported",),
    ),
    Entry(
        INDICATOR_REALLY,
        "The share of caseloads that really reached the outcome the indicator counts, by the "
        "indicator's own definition: invented records left out. It is not what citizens gained.",
    ),
    Entry(
        "gaming gap",
        "Reported minus the indicator, really: the share of caseloads reported as outcomes "
        "that did not happen.",
        ("outcomes that did not happen",),
    ),
    Entry(
        "gaming by tactic",
        "How workers move the figure without helping: misreporting, indicator-only work and "
        "creaming (each has its own entry).",
    ),
    Entry(
        "misreporting",
        "Recording an outcome that did not happen; the chart shows the share of recorded "
        "outcomes that were invented.",
    ),
    Entry(
        "workers inventing outcomes",
        "The share of workers who recorded outcomes that did not happen.",
        ("workers inventing", "inventing outcomes"),
    ),
    Entry(
        "indicator-only work",
        "Working time spent on what moves the indicator but does not help the citizen.",
    ),
    Entry(
        "creaming",
        "Choosing whom to see by how close they are to counting as a success, so the easiest "
        "cases get the time.",
    ),
    Entry(
        "target",
        "The share of caseload a worker is expected to report as outcomes; each review sets the "
        "next one from what was achieved (the ratchet).",
        ("ratchet",),
    ),
    Entry(
        "bunching",
        "Results gathered just above the target: the share of workers at or just above it minus "
        "the share just below it.",
    ),
    Entry(
        "parked",
        "Citizens who have had no real contact with their worker in the last 8 weeks.",
        ("citizens parked", "parked citizens"),
    ),
    Entry(
        "equity gap",
        "Wellbeing of the simplest fifth of citizens minus that of the most complex fifth: how "
        "much worse off the hardest to help are.",
    ),
    Entry(
        "contact ratio",
        "Contact the most complex fifth of citizens get, divided by the contact the simplest "
        "fifth get: 1 is equal, below 1 the hardest to help get less.",
        ("contact: most ÷ least complex", "most ÷ least complex", "times the contact"),
    ),
    Entry(
        "trust",
        "How far citizens trust the service, 0 to 1: it falls when they are let down and comes "
        "back slowly.",
        ("citizen trust",),
    ),
    Entry("morale", "Workers' morale, 0 to 1: one minus their stress.", ("worker morale",)),
    Entry(
        "turnover",
        "Workers who quit or were dismissed, counted from the start of the run.",
        ("quits and dismissals", "quits + dismissals"),
    ),
    Entry("skill", "How good workers are at helping citizens, 0 to 1.", ("worker skill",)),
    Entry(
        "knowledge of what works",
        "What workers know about which help works for whom, 0 to 1; it goes stale when what "
        "counts as good changes.",
    ),
    Entry(
        "rank correlation",
        "How far the league table's order follows workers' skill: 1 exactly, 0 not at all. "
        "Squared, it is the share of the ranking that skill explains.",
        ("league table",),
    ),
    Entry(
        "candour",
        "Whether people in a team say what went wrong, 0 never to 1 always: learning needs it.",
    ),
    Entry(
        "accountability cost",
        "The share of all staff time spent on holding to account (reporting, reviews, audits, "
        "learning sessions, case reviews) instead of helping citizens.",
        ("holding to account",),
    ),
    # The red bead experiment (dashboards.redbead).
    Entry(
        "red beads in 50",
        "The red beads (defects) one worker's paddle of 50 beads brought up: a count of chance, "
        "since every paddle dips into the same bowl.",
        ("red beads a paddle",),
    ),
    Entry(
        "np chart",
        "A control chart of counts: every draw in time order, with the centre line and the "
        "control limits that chance alone stays within.",
    ),
    Entry(
        "centre line",
        "The count the bowl's mix predicts for a paddle: 50 beads × the share of red beads.",
    ),
    Entry(
        "control limits",
        "Three standard deviations either side of the centre line: the range chance alone "
        "keeps almost every count within. A count outside is a signal to look at the system.",
        ("control limit", "upper control limit", "lower control limit"),
    ),
    # The whole system (dashboards/system_view.py)
    Entry(
        "citizens on the caseload",
        "Citizens a service is working with at the end of the run: those whose main need is "
        "its own, and those referred to it who arrived.",
    ),
    Entry(
        "referrals sent",
        "Citizens a service passed on to another service for a need it does not mainly help "
        "with, counted over the run. Some never arrive: the less they trust, the likelier.",
        ("referrals over the year",),
    ),
    Entry(
        "hand-offs",
        "Referrals from one service to another per contact: how often a citizen is passed on "
        "instead of being helped where they are.",
        ("handoffs",),
    ),
    Entry(
        "failure demand",
        "Demand caused by a failure to help properly the first time: a contact about a need the "
        "citizen already raised and that was not met, or a referral for a need already referred "
        "on. Shown as a share of all contacts and referrals.",
        ("failure_demand",),
    ),
    Entry(
        "attribution error",
        "The share of the payments for results that went for outcomes the paid service did not "
        "cause. Found by running the same citizens with the same luck once more without that "
        "service's help, and counting the outcomes that still happened.",
        ("attribution_error",),
    ),
    Entry(
        "outcomes paid for",
        "Outcomes a service was paid for over the run, each counted every week it stays on the "
        "record: its share of the outcomes its contract reported, invented ones included.",
    ),
    Entry(
        "outcomes it caused",
        "Outcomes on a service's caseload that did not happen in the run without its help (same "
        "citizens, same luck). Can be below zero when its help did more harm than good.",
    ),
    Entry(
        "payments received",
        "What the commissioner paid a service over the run, in weeks of its contract's value: "
        "the fixed part, plus the part paid by results times its reported figure.",
    ),
    Entry(
        "paid for but not caused",
        "Of the outcomes a service was paid for, the share it did not cause: its own "
        "attribution error.",
    ),
    Entry(PARAMS["contracting"].label.lower(), PARAMS["contracting"].meaning),
    Entry(PARAMS["payment_by_results"].label.lower(), PARAMS["payment_by_results"].meaning),
    Entry(
        "merit award",
        "The foreman's prize for the day's fewest red beads: a reward for luck.",
        ("merit awards",),
    ),
]


def lookup(label: str) -> Entry | None:
    """The entry for a label as the page shows it: the longest term or alias the label holds."""
    text = label.lower()
    found = [(len(name), e) for e in GLOSSARY for name in e.names() if name in text]
    return max(found, key=lambda pair: pair[0])[1] if found else None


_NAMES = sorted(((n, e) for e in GLOSSARY for n in e.names()), key=lambda p: -len(p[0]))
_PATTERN = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(n) for n, _ in _NAMES) + r")s?(?!\w)", flags=re.IGNORECASE
)
_ENTRY = dict(_NAMES)
_TAG = re.compile(r"(<[^>]*>)")


def term_html(words: str, entry: Entry) -> str:
    """``words`` with ``entry``'s meaning as its tooltip (``words`` already HTML)."""
    return f"<span class='term' title='{escape(entry.meaning, quote=True)}'>{words}</span>"


def explain(html: str) -> str:
    """Give the first mention of each statistic in ``html`` its meaning as a tooltip.

    Text inside tags (and a term already explained) is left alone.
    """
    seen: set[str] = set()

    def wrap(match: re.Match) -> str:
        entry = _ENTRY[match.group(1).lower()]
        if entry.term in seen:
            return match.group(0)
        seen.add(entry.term)
        return term_html(match.group(0), entry)

    out, explained = [], False  # explained: inside a term's span already
    for part in _TAG.split(html):
        if part.startswith("<"):
            explained = part.startswith("<span class='term'") or (explained and part != "</span>")
            out.append(part)
        else:
            if explained and (entry := lookup(part)) is not None:
                seen.add(entry.term)  # explained before: once is enough
            out.append(part if explained else _PATTERN.sub(wrap, part))
    return "".join(out)


def glossary_html(labels: list[str], summary: str = "What these figures mean") -> str:
    """A folded list of the entries for ``labels`` (charts' titles and lines), in their order."""
    entries: list[Entry] = []
    for label in labels:
        entry = lookup(label)
        if entry is not None and entry not in entries:
            entries.append(entry)
    items = "".join(
        f"<dt><b>{escape(e.term)}</b></dt><dd>{escape(e.meaning)}</dd>" for e in entries
    )
    return (
        f"<details class='glossary'><summary>{escape(summary)}</summary><dl>{items}</dl></details>"
    )
