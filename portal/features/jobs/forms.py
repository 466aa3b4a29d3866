from portal.web.forms import ConfirmForm


class RetryForm(ConfirmForm):
    """Run an interrupted or crashed job again."""
