"""The daily digest for one requester on one day (pure: case views in, content out).

Users want fewer, better emails (DESIGN.md): the digest is the default rhythm. It says, in
this order, what arrived since the last digest (one line per reply: who, what, what to do),
what is overdue, which deadlines fall in the next 7 days, and what is waiting on the
requester. `render_text`/`render_html` turn it into the two parts of the email and
`deadlines_calendar` into its `.ics` attachment; composing and sending live in the service
(`bot/service/casestore.py`).
"""

from __future__ import annotations

import datetime as dt

from bot.cases import INACTIVE, STATUS_WORDS, CaseView, DeadlineItem, NextAction
from bot.model import Frozen, Outcome
from bot.stages.deadlines import fmt
from bot.stages.templates import render_template

HORIZON_DAYS = 7

class ReplyLine(Frozen):
    case_id: int
    title: str
    subject: str = ""
    outcome: Outcome
    outcome_words: str
    received: dt.date
    todo: str  # what to do, one sentence
    needs_review: bool = False


class OverdueLine(Frozen):
    case_id: int
    title: str
    subject: str = ""
    what: str  # "answer" | "review"
    due: dt.date
    working_days_late: int
    todo: str


class DeadlineLine(Frozen):
    case_id: int
    title: str
    subject: str = ""
    day: dt.date
    kind: str
    who: str  # "you" | "authority"
    what: str


class WaitingLine(Frozen):
    case_id: int
    title: str
    subject: str = ""
    status_words: str
    todo: str


class Digest(Frozen):
    requester: str
    day: dt.date
    since: dt.datetime | None = None  # the previous digest (None: the first one)
    until: dt.datetime
    new_replies: tuple[ReplyLine, ...] = ()
    overdue: tuple[OverdueLine, ...] = ()
    upcoming: tuple[DeadlineLine, ...] = ()  # within HORIZON_DAYS
    awaiting_you: tuple[WaitingLine, ...] = ()
    calendar: tuple[DeadlineLine, ...] = ()  # every open future deadline, for the .ics
    active_cases: int = 0

    @property
    def is_empty(self) -> bool:
        """Nothing to say: no news, nothing overdue, nothing due soon, nothing waiting on them."""
        return not (self.new_replies or self.overdue or self.upcoming or self.awaiting_you)

    @property
    def headline(self) -> str:
        parts = []
        for count, one, many in (
            (len(self.new_replies), "new reply", "new replies"),
            (len(self.overdue), "overdue", "overdue"),
            (len(self.upcoming), "deadline this week", "deadlines this week"),
            (len(self.awaiting_you), "waiting for you", "waiting for you"),
        ):
            if count:
                parts.append(f"{count} {one if count == 1 else many}")
        return ", ".join(parts) or "nothing new"


def todo_words(action: NextAction) -> str:
    """"Ask for an internal review by 19 March 2027. If you disagree with the decision..."."""
    title = action.title or action.action.replace("_", " ").capitalize()
    by = f" by {fmt(action.by)}" if action.by and action.action != "wait" else ""
    return f"{title}{by}. {action.why}".strip()


def build_digest(
    requester: str,
    views: list[CaseView],
    *,
    day: dt.date,
    since: dt.datetime | None,
    until: dt.datetime,
    outcome_words: dict[str, str],
    horizon_days: int = HORIZON_DAYS,
) -> Digest:
    """The digest of `requester` for the local date `day`, covering replies received in (since, until]."""
    mine = sorted((v for v in views if v.requester == requester), key=lambda v: v.case_id)
    active = [v for v in mine if v.status not in INACTIVE]
    replies: list[tuple[dt.datetime, ReplyLine]] = []
    for view in active:
        case_replies = [e for e in _corrected_replies(view) if _filed(e) <= until]
        for event in case_replies:
            if since is not None and _filed(event) <= since:
                continue
            latest = event is case_replies[-1]
            todo = (
                todo_words(view.next_action)
                if latest
                else "Superseded by a later reply (below)."
            )
            replies.append(
                (
                    event.at,
                    ReplyLine(
                        case_id=view.case_id,
                        title=view.title,
                        subject=view.subject,
                        outcome=event.outcome or Outcome.OTHER,
                        outcome_words=outcome_words.get(str(event.outcome), str(event.outcome)),
                        received=event.at.date(),
                        todo=todo,
                        needs_review=event.needs_review,
                    ),
                )
            )
    overdue = [
        OverdueLine(
            case_id=v.case_id,
            title=v.title,
            subject=v.subject,
            what=v.overdue.what if v.overdue.what == "review" else "answer",
            due=v.overdue.due,
            working_days_late=v.overdue.working_days_late,
            todo=todo_words(v.next_action),
        )
        for v in active
        if v.overdue
    ]
    horizon = day + dt.timedelta(days=horizon_days)
    calendar = sorted(
        (_deadline_line(v, item) for v in active for item in v.upcoming if item.day >= day),
        key=lambda line: (line.day, line.case_id),
    )
    waiting = [
        WaitingLine(
            case_id=v.case_id,
            title=v.title,
            subject=v.subject,
            status_words=STATUS_WORDS[v.status],
            todo=todo_words(v.next_action),
        )
        for v in active
        if v.awaiting_requester
    ]
    return Digest(
        requester=requester,
        day=day,
        since=since,
        until=until,
        new_replies=tuple(line for _, line in sorted(replies, key=lambda pair: (pair[0], pair[1].case_id))),
        overdue=tuple(sorted(overdue, key=lambda line: (-line.working_days_late, line.case_id))),
        upcoming=tuple(line for line in calendar if line.day <= horizon),
        awaiting_you=tuple(waiting),
        calendar=tuple(calendar),
        active_cases=len(active),
    )


def _filed(event) -> dt.datetime:
    return event.recorded_at or event.at


def _corrected_replies(view: CaseView):
    from bot.cases import corrected

    return sorted(corrected(view.events), key=lambda e: e.at)


def _deadline_line(view: CaseView, item: DeadlineItem) -> DeadlineLine:
    return DeadlineLine(
        case_id=view.case_id,
        title=view.title,
        subject=view.subject,
        day=item.day,
        kind=item.kind,
        who=item.who,
        what=item.what,
    )


# --------------------------------------------------------------------------- rendering


def _context(digest: Digest) -> dict:
    return {"d": digest, "fmt": fmt, "day_name": lambda day: f"{day:%a} {fmt(day)}"}


def render_text(digest: Digest) -> str:
    return render_template("digest.txt.j2", **_context(digest)).strip() + "\n"


def render_html(digest: Digest) -> str:
    return render_template("digest.html.j2", **_context(digest))


def subject_line(digest: Digest) -> str:
    return f"Your FOI digest for {fmt(digest.day)}: {digest.headline}"


def deadlines_calendar(digest: Digest, *, product: str = "-//foibot//FOI deadlines//EN") -> bytes:
    """Every open deadline as an all-day event; UIDs are stable, so a calendar app updates, not duplicates."""
    # imported here: only the digest needs it, and importing it costs every worker start ~45 ms
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", product)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "FOI deadlines")
    for line in digest.calendar:
        event = Event()
        event.add("uid", f"foibot-case{line.case_id}-{line.kind}@foibot")
        event.add("dtstamp", digest.until.astimezone(dt.UTC))
        event.add("dtstart", line.day)
        event.add("dtend", line.day + dt.timedelta(days=1))
        event.add("summary", f"FOI: {line.title}: {line.what}")
        event.add("description", f"{line.subject}\n{'You' if line.who == 'you' else 'The authority'}: {line.what}.".strip())
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
