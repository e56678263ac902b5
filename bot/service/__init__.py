"""The edges: mailboxes, state, sending, and the worker loop that ties them to triage.

- `mailbox`: where replies come from (`MaildirMailbox`, `ImapMailbox` behind `Mailbox`)
- `state`: SQLite memory of messages, outbox, send log and quarantine
- `filters`: pure loop-safety and "who gets the summary" decisions
- `sender`: composes the summary email; `MaildirTransport` / `SmtpTransport` deliver it
- `worker`: fetch -> record -> filter -> triage -> enqueue -> send -> mark
- `commands`: `foibot run` and `foibot status`
"""
