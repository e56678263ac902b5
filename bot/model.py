"""Typed values that flow between the pipeline stages.

Nothing here does I/O and nothing here imports another module of ours: every stage
takes these values in and hands these values on (see DESIGN.md, "Data flow").
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Outcome(StrEnum):
    """The primary class of a reply (the vocabulary of the `foibot triage` contract)."""

    FULL_DISCLOSURE = "full_disclosure"
    PARTIAL_DISCLOSURE = "partial_disclosure"
    REFUSED = "refused"
    NOT_HELD = "not_held"
    DELAY = "delay"
    ACKNOWLEDGEMENT = "acknowledgement"
    CLARIFICATION_REQUESTED = "clarification_requested"
    FEE_NOTICE = "fee_notice"
    REVIEW_DECISION = "review_decision"
    OTHER = "other"


class ReviewReason(StrEnum):
    """Why a person should check a reading (`needs_review`)."""

    EMPTY = "empty"  # no letter text was found
    UNPLACED = "unplaced"  # no rule placed the letter (outcome "other")
    GUESS = "guess"  # the outcome is the learned model's guess
    UNREAD_ATTACHMENT = "unread_attachment"  # an attached document could not be read (Letter.unread)
    LOW_CONFIDENCE = "low_confidence"  # the rules placed it, on weak evidence
    SECOND_OPINION = "second_opinion"  # the rules placed it, but the learned model finds that outcome unlikely


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- limits


class Limits(Frozen):
    """Resource limits for untrusted input; a message over any of them is refused or trimmed."""

    max_message_bytes: int = 25 * 1024 * 1024
    max_attachments: int = 50
    max_mime_depth: int = 20
    max_attachment_bytes: int = 20 * 1024 * 1024
    max_pdf_pages: int = 200
    max_docx_uncompressed_bytes: int = 50 * 1024 * 1024
    max_docx_ratio: float = 100.0
    max_text_chars: int = 200_000  # letter text kept after extraction
    max_nlp_chars: int = 20_000  # text fed to spaCy


class LimitExceeded(Exception):
    """Raised by a stage when untrusted input goes over a `Limits` value."""


# --------------------------------------------------------------------------- parse


class Attachment(Frozen):
    """One MIME leaf that is not the body text: a PDF letter, a DOCX, a winmail.dat..."""

    filename: str = ""
    content_type: str = "application/octet-stream"
    data: bytes = b""


class ParsedMessage(Frozen):
    """An email reduced to what the later stages need.

    When the requester forwarded an authority's reply, the fields describe the
    *original* reply and `forwarded_by` names the person who forwarded it.
    """

    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to_addresses: tuple[str, ...] = ()
    date: dt.datetime | None = None
    body_text: str = ""
    body_html: str = ""
    attachments: tuple[Attachment, ...] = ()
    forwarded_by_name: str = ""
    forwarded_by_address: str = ""
    #: headers of the outer (delivered) message, lower-cased names, used by the service's filters
    outer_headers: dict[str, str] = Field(default_factory=dict)
    defects: tuple[str, ...] = ()

    @property
    def is_forward(self) -> bool:
        return bool(self.forwarded_by_address)


# --------------------------------------------------------------------------- extract


class TextSource(Frozen):
    """Where a piece of the letter text came from: the body or an attachment."""

    kind: str  # "body", "html", "pdf", "docx", "text", "tnef"
    name: str = ""
    chars: int = 0
    note: str = ""  # e.g. "no text layer: image-only PDF"


class Letter(Frozen):
    """The words of the reply that the classifier reads.

    `text` is the decision text with quoted material (the requester's quoted request,
    earlier messages, disclaimers) folded away; `full_text` keeps everything, for entities
    and dates.
    """

    text: str
    full_text: str = ""
    sources: tuple[TextSource, ...] = ()
    subject: str = ""
    sender_name: str = ""
    sender_address: str = ""
    recipient_addresses: tuple[str, ...] = ()
    sent: dt.date | None = None
    warnings: tuple[str, ...] = ()
    #: attached documents that may hold the letter but could not be read (scanned, encrypted, damaged,
    #: an unsupported format): the reading rests on the rest of the reply
    unread: tuple[str, ...] = ()


# --------------------------------------------------------------------------- classify


class Exemption(Frozen):
    citation: str  # normalised: s40(2), s31, reg12(4)(b), b6, s9(2)(a)
    name: str = ""
    kind: str = "unknown"  # absolute | qualified | unknown
    evidence: str = ""


class Classification(Frozen):
    outcome: Outcome
    labels: tuple[Outcome, ...]
    confidence: float
    needs_review: bool
    review_reason: ReviewReason | None = None
    refusal_grounds: tuple[str, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    ncnd: bool = False
    review_result: str | None = None  # upheld | overturned | partly
    evidence: tuple[str, ...] = ()  # verbatim quotes that decided the outcome
    scores: dict[str, float] = Field(default_factory=dict)
    stated_review_window: str | None = None  # e.g. "two months", "40 working days"
    extension_to: dt.date | None = None


# --------------------------------------------------------------------------- entities


class Entity(Frozen):
    text: str
    label: str
    start: int
    end: int


class Person(Frozen):
    name: str = ""
    email: str = ""


class Facts(Frozen):
    """What the entity stage found: who, what reference, which dates."""

    entities: tuple[Entity, ...] = ()
    authority: str = ""
    reference: str = ""
    requester: Person = Person()
    dates: dict[str, dt.date] = Field(default_factory=dict)  # role -> date


# --------------------------------------------------------------------------- deadlines


class Deadlines(Frozen):
    response_due: dt.date | None = None
    working_days_taken: int | None = None
    days_late: int | None = None
    internal_review_by: dt.date | None = None
    review_response_due: dt.date | None = None
    regulator_by: dt.date | None = None
    extended_due: dt.date | None = None
    explanation: tuple[str, ...] = ()  # how each date was computed, in words


# --------------------------------------------------------------------------- advise


class NextStep(Frozen):
    action: str  # request_internal_review, complain_to_regulator, clarify_request, ...
    by: dt.date | None = None
    why: str = ""
    draft: str | None = None


# --------------------------------------------------------------------------- triage


class Triage(BaseModel):
    """The result of the whole pipeline; `to_contract()` is the JSON of `foibot triage`."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    labels: list[Outcome]
    confidence: float
    needs_review: bool
    review_reason: ReviewReason | None = None  # why a person should check it (None when needs_review is false)
    jurisdiction: str
    refusal_grounds: list[str] = Field(default_factory=list)
    exemptions: list[Exemption] = Field(default_factory=list)
    ncnd: bool = False
    review_result: str | None = None
    authority: str = ""
    reference: str = ""
    requester: Person = Person()
    dates: dict[str, dt.date] = Field(default_factory=dict)
    deadlines: Deadlines = Deadlines()
    entities: list[Entity] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    summary: str = ""
    subject: str = ""
    sources: list[TextSource] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def to_contract(self) -> dict:
        """The JSON object printed by `foibot triage --json` (DESIGN.md)."""
        data = self.model_dump(mode="json")
        data["deadlines"] = {
            k: data["deadlines"][k]
            for k in (
                "response_due",
                "working_days_taken",
                "days_late",
                "internal_review_by",
                "regulator_by",
                "review_response_due",
                "extended_due",
                "explanation",
            )
        }
        return data
