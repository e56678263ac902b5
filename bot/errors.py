"""Exceptions shared across the package."""


class UserError(Exception):
    """A mistake the user can fix (bad path, bad option, unreadable input): one line, exit 2."""


class UnreadableInput(UserError):
    """The input could not be read as an email, a letter, a PDF or a DOCX."""
