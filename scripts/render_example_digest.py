"""Render docs/examples/digest.txt and digest.html: the digest a requester following ten
requests receives on Tuesday 12 January 2027.

Every authority, person, address, reference and figure below is invented. Each letter is
triaged by the real pipeline (`Triager`), filed into cases by the real case store (in a
throwaway state database), and the digest is built exactly as the worker builds it, so the
example changes when the classifier, the deadlines or the templates do. Run:

    .venv/bin/python scripts/render_example_digest.py [--check]

`--check` fails (exit 1) when the committed files differ from what the code renders now.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
import time_machine  # test extra: files each letter at the moment it arrived

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.digest import render_html, render_text  # noqa: E402
from bot.service.casestore import CaseStore  # noqa: E402
from bot.service.state import State  # noqa: E402
from bot.triage import Triager, parse_message  # noqa: E402

REQUESTER = "sam.okonkwo@newsroom.example"
LONDON = ZoneInfo("Europe/London")
PREVIOUS_DIGEST = dt.datetime(2027, 1, 11, 7, 30, tzinfo=dt.UTC)
DIGEST_AT = dt.datetime(2027, 1, 12, 7, 30, tzinfo=dt.UTC)

# (received at, sender name, sender address, subject, letter)
LETTERS: list[tuple[dt.datetime, str, str, str, str]] = [
    (
        dt.datetime(2026, 11, 16, 14, 5, tzinfo=dt.UTC),
        "Marlowe Borough Council",
        "foi@marlowe-bc.example",
        "FOI/26/4410 - Temporary accommodation placements",
        """Marlowe Borough Council
Our reference: FOI/26/4410
Date: 16 November 2026

Dear Mr Okonkwo,

Freedom of Information Act 2000

Thank you for your request received on 19 October 2026 for the number of
households placed in temporary accommodation outside the borough, by month,
and the addresses of the properties used.

We are able to provide part of the information. The number of households
placed outside the borough each month is below:

2024: Jan 41, Feb 44, Mar 47, Apr 45, May 50, Jun 52,
      Jul 55, Aug 53, Sep 58, Oct 61, Nov 60, Dec 64
2025: Jan 66, Feb 63, Mar 69, Apr 71, May 70, Jun 74,
      Jul 77, Aug 79, Sep 81, Oct 80, Nov 84, Dec 88

The addresses of the properties are withheld under section 40(2) of the Act, as they would
identify the households living there, and under section 38(1)(b) (health and
safety). We have considered the public interest in the section 38 exemption
and concluded that it favours withholding the addresses.

If you are dissatisfied with this response you may ask for an internal
review within 40 working days of the date of this letter.

Yours sincerely,
Housing Information Team
Marlowe Borough Council
""",
    ),
    (
        dt.datetime(2026, 11, 17, 9, 40, tzinfo=dt.UTC),
        "Loch Arden Council",
        "foi@locharden.example",
        "FOISA request - School transport contracts",
        """Loch Arden Council
Our ref: LAC-FOI-8812
Date: 17 November 2026

Dear Mr Okonkwo,

Freedom of Information (Scotland) Act 2002

Thank you for your request for information about school transport
contracts, which we received on 16 November 2026. Your request has been
logged under reference LAC-FOI-8812 and we will respond within 20 working days.

Yours sincerely,
Information Management Officer
Loch Arden Council
""",
    ),
    (
        dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC),
        "Westmarch Constabulary",
        "foi@westmarch-police.example",
        "FOI 2026-3307 Use of facial recognition vans",
        """Westmarch Constabulary
Reference: FOI 2026-3307
Date: 24 November 2026

Dear Mr Okonkwo,

Freedom of Information Act 2000 - fees notice

We have estimated that locating and extracting the deployment logs you asked
for would exceed the appropriate limit. Rather than refuse the request, we are
able to provide the information on payment of a fee of 312.50 pounds, which
covers the cost of retrieving the archived logs. This letter is a fees notice
under section 9 of the Act. We will not process your request further until the
fee is paid; the time for responding is paused until then.

Please let us know within three months whether you wish to pay.

Yours sincerely,
Information Access Unit
Westmarch Constabulary
""",
    ),
    (
        dt.datetime(2026, 12, 7, 9, 15, tzinfo=dt.UTC),
        "Hartwell District Council FOI Team",
        "foi@hartwell-dc.example",
        "Acknowledgement - FOI-2026-0917 - Winter gritting contracts",
        """Dear Mr Okonkwo,

Freedom of Information Act 2000 - reference FOI-2026-0917

Thank you for your request for information about the council's winter
gritting contracts, which we received on 4 December 2026. Your request has
been logged under reference FOI-2026-0917.

We will respond promptly and in any event within 20 working days of receipt.

Yours sincerely,
Information Governance Team
Hartwell District Council
""",
    ),
    (
        dt.datetime(2026, 12, 15, 11, 20, tzinfo=dt.UTC),
        "Orrin Water Authority",
        "information@orrin-water.example",
        "Your request OWA-1187 - Reservoir safety inspections",
        """Orrin Water Authority
Our reference: OWA-1187
15 December 2026

Dear Mr Okonkwo,

Environmental Information Regulations 2004

Thank you for your request for the reservoir safety inspection reports for
2023 to 2025, which we received on 14 December 2026. Your request has been
logged under reference OWA-1187 and is being handled under the Environmental
Information Regulations. We will respond within 20 working days of receipt.

Regards,
Information Requests
Orrin Water Authority
""",
    ),
    (
        dt.datetime(2027, 1, 4, 15, 0, tzinfo=dt.UTC),
        "Calder Heath University",
        "foi@calderheath.example",
        "Internal review outcome - CHU-FOI-551",
        """Calder Heath University
Our reference: CHU-FOI-551
Date: 4 January 2027

Dear Mr Okonkwo,

Internal review - Freedom of Information Act 2000

I have now completed the internal review you asked for of our refusal of
your request for the university's spending on external consultants. Having
looked at the request afresh, I uphold the original decision: the
information is exempt under section 43(2) (commercial interests), and the
public interest favours withholding it.

If you remain dissatisfied you may complain to the Information
Commissioner's Office.

Yours sincerely,
University Secretary
Calder Heath University
""",
    ),
    (
        dt.datetime(2027, 1, 5, 16, 30, tzinfo=dt.UTC),
        "Department for Rural Transport",
        "foi-requests@drt.example",
        "FOI2026/14522 - Rural bus grant allocations",
        """Department for Rural Transport
Reference: FOI2026/14522
5 January 2027

Dear Mr Okonkwo,

Freedom of Information Act 2000

We received your request on 10 December 2026. We hold information within
the scope of your request, and some of it may fall under the exemption in
section 35 (formulation of government policy), which requires us to consider
the balance of the public interest.

The Act allows us to extend the time for responding where we need more time
to consider the public interest. We therefore need further time and now aim
to send you a full response by 3 February 2027. We apologise for the delay.

Yours sincerely,
FOI Team
Department for Rural Transport
""",
    ),
    (
        dt.datetime(2027, 1, 11, 10, 10, tzinfo=dt.UTC),
        "Thornbury Harbour Board",
        "enquiries@thornbury-harbour.example",
        "FOI request THB/212 - Dredging costs",
        """Thornbury Harbour Board
Our reference: THB/212
Date: 11 January 2027

Dear Mr Okonkwo,

Freedom of Information Act 2000

Thank you for your request received on 14 December 2026. We can confirm that
the Board holds the information you asked for, and it is provided in full
below.

Maintenance dredging, total cost by year:
2023: 1,204,000 pounds
2024: 1,388,500 pounds
2025: 1,162,250 pounds

Yours faithfully,
Harbour Master's Office
Thornbury Harbour Board
""",
    ),
    (
        dt.datetime(2027, 1, 11, 14, 0, tzinfo=dt.UTC),
        "Brackwater Fire and Rescue Service",
        "information@brackwater-fire.example",
        "FOI request BFRS-0644 - fire engine response times",
        """Brackwater Fire and Rescue Service
Our reference: BFRS-0644
Date: 11 January 2027

Dear Mr Okonkwo,

Freedom of Information Act 2000

Thank you for your request received on 9 December 2026 for the response times
of each fire engine at each station. We are refusing your request: the
information is exempt under section 24(1) (national security) and section
31(1)(a) (prevention of crime), as station-level response times would show
where cover is thinnest. The public interest in maintaining these exemptions
outweighs the public interest in disclosure.

You may ask for an internal review within 40 working days.

Information Management
Brackwater Fire and Rescue Service
""",
    ),
    (
        dt.datetime(2027, 1, 11, 16, 45, tzinfo=dt.UTC),
        "Kestrel Valley NHS Foundation Trust",
        "foi@kestrelvalley-nhs.example",
        "Freedom of Information request - Agency nurse spending",
        """Dear Mr Okonkwo,

Freedom of Information Act 2000 - request received 6 January 2027

Thank you for your request for information about agency nurse spending.

Before we can answer, we need you to clarify your request. Please could you
confirm which financial years you are interested in, and whether you mean
registered nurses only or all agency nursing staff, including healthcare
assistants?

Once we receive your clarification the 20 working day period will start again.

Kind regards,
Freedom of Information Office
Kestrel Valley NHS Foundation Trust
""",
    ),
]


def email_bytes(number: int, received: dt.datetime, name: str, address: str, subject: str, letter: str) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"{name} <{address}>"
    message["To"] = f"Sam Okonkwo <{REQUESTER}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(received)
    message["Message-ID"] = f"<example-{number}@{address.partition('@')[2]}>"
    message.set_content(letter)
    return message.as_bytes()


def build(workdir: Path):
    """File the ten letters, record yesterday's digest, and build today's."""
    triager = Triager()
    state = State(workdir / "state.sqlite3")
    store = CaseStore(state)
    try:
        previous_recorded = False
        for number, (received, name, address, subject, letter) in enumerate(sorted(LETTERS), start=1):
            if received > PREVIOUS_DIGEST and not previous_recorded:
                with time_machine.travel(PREVIOUS_DIGEST, tick=False):
                    store.commit_digest(store.build_digest(REQUESTER, PREVIOUS_DIGEST, LONDON), None)
                previous_recorded = True
            raw = email_bytes(number, received, name, address, subject, letter)
            parsed = parse_message(raw, triager.limits)
            with time_machine.travel(received, tick=False):  # filed when it arrived
                state.record(parsed.message_id, raw, message_id=parsed.message_id)
                triage = triager.triage_message(parsed, today=received.date())
                store.record_reply(parsed.message_id, parsed, triage, REQUESTER, received)
        return store.build_digest(REQUESTER, DIGEST_AT, LONDON)
    finally:
        state.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as workdir:
        digest = build(Path(workdir))
    outputs = {
        ROOT / "docs" / "examples" / "digest.txt": render_text(digest),
        ROOT / "docs" / "examples" / "digest.html": render_html(digest),
    }
    stale = [path for path, text in outputs.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run scripts/render_example_digest.py", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
