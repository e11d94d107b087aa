"""Errors raised for bad user input: one line naming the file, the key and what was expected."""


class InputError(Exception):
    """Bad input from the user: the CLI prints the message on one line and exits with code 2.

    Args:
        message: what was wrong and what was expected.
        file: the file concerned, if any.
        key: the dotted key concerned, if any.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        self.message = message
        self.file = file
        self.key = key
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as one line: ``file: key: message``."""
        parts = [p for p in (self.file, self.key) if p]
        text = ": ".join([*parts, self.message])
        return " ".join(text.split())
