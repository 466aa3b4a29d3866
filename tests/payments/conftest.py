"""A deferred Liaocheng employer (¥700 a month, 2022-07..09) and an SMTP server to read the
reminders: the reminders' fixtures."""

from tests.reminders.conftest import deferred, smtp  # noqa: F401 - fixtures used here
